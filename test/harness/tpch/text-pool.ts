/**
 * dbgen's comment text: sentences from the TPC-H grammar (spec 4.2.2.10,
 * dbgen's `dists.dss`), concatenated into one pool from which every comment
 * column takes a substring at a random offset, as dbgen does.
 */

const NOUNS = [
  'foxes',
  'ideas',
  'theodolites',
  'pinto beans',
  'instructions',
  'dependencies',
  'excuses',
  'platelets',
  'asymptotes',
  'courts',
  'dolphins',
  'multipliers',
  'sauternes',
  'warthogs',
  'frets',
  'dinos',
  'attainments',
  'somas',
  'Tiresias',
  'patterns',
  'forges',
  'braids',
  'hockey players',
  'frays',
  'warhorses',
  'dugouts',
  'notornis',
  'epitaphs',
  'pearls',
  'tithes',
  'waters',
  'orbits',
  'gifts',
  'sheaves',
  'depths',
  'sentiments',
  'decoys',
  'realms',
  'pains',
  'grouches',
  'escapades',
  'packages',
  'requests',
  'accounts',
  'deposits',
];
const VERBS = [
  'sleep',
  'wake',
  'are',
  'cajole',
  'haggle',
  'nag',
  'use',
  'boost',
  'affix',
  'detect',
  'integrate',
  'maintain',
  'nod',
  'was',
  'lose',
  'sublate',
  'solve',
  'thrash',
  'promise',
  'engage',
  'hinder',
  'print',
  'x-ray',
  'breach',
  'eat',
  'grow',
  'impress',
  'mold',
  'poach',
  'serve',
  'run',
  'dazzle',
  'snooze',
  'doze',
  'unwind',
  'kindle',
  'play',
  'hang',
  'believe',
  'doubt',
];
const ADJECTIVES = [
  'furious',
  'sly',
  'careful',
  'blithe',
  'quick',
  'fluffy',
  'slow',
  'quiet',
  'ruthless',
  'thin',
  'close',
  'dogged',
  'daring',
  'brave',
  'stealthy',
  'permanent',
  'enticing',
  'idle',
  'busy',
  'regular',
  'final',
  'ironic',
  'even',
  'bold',
  'silent',
  'unusual',
  'special',
  'express',
  'pending',
  'careful',
];
const ADVERBS = [
  'sometimes',
  'always',
  'never',
  'furiously',
  'slyly',
  'carefully',
  'blithely',
  'quickly',
  'fluffily',
  'slowly',
  'quietly',
  'ruthlessly',
  'thinly',
  'closely',
  'doggedly',
  'daringly',
  'bravely',
  'stealthily',
  'permanently',
  'enticingly',
  'idly',
  'busily',
  'regularly',
  'finally',
  'ironically',
  'evenly',
  'boldly',
  'silently',
];
const PREPOSITIONS = [
  'about',
  'above',
  'according to',
  'across',
  'after',
  'against',
  'along',
  'alongside of',
  'among',
  'around',
  'at',
  'atop',
  'before',
  'behind',
  'beneath',
  'beside',
  'besides',
  'between',
  'beyond',
  'by',
  'despite',
  'during',
  'except',
  'for',
  'from',
  'in place of',
  'inside',
  'instead of',
  'into',
  'near',
  'of',
  'on',
  'outside',
  'over',
  'past',
  'since',
  'through',
  'throughout',
  'to',
  'toward',
  'under',
  'until',
  'up',
  'upon',
  'without',
  'with',
  'within',
];
const AUXILIARIES = [
  'do',
  'may',
  'might',
  'shall',
  'will',
  'would',
  'can',
  'could',
  'should',
  'ought to',
  'must',
  'will have to',
  'shall have to',
  'could have to',
  'should have to',
  'must have to',
  'need to',
  'try to',
];
const TERMINATORS = ['.', ';', ':', '?', '!', '--'];

/** A small deterministic PRNG (mulberry32): the same seed gives the same pool on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from `[value, weight]` pairs (dbgen's weighted distributions). */
function weighted<T>(random: () => number, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [value, w] of choices) {
    r -= w;
    if (r < 0) return value;
  }
  return choices[choices.length - 1]![0];
}

/**
 * The text pool: `bytes` characters of grammar sentences. dbgen's grammar:
 * sentence = N V T | N V P T | N V N T | N P V N T | N P V P T (weights
 * 3:3:3:1:1); noun phrase = N | J N | J, J N | D J N; verb phrase = V | X V
 * | V D | X V D; prepositional phrase = P the N.
 */
export function textPool(bytes: number, seed = 19920101): string {
  const random = seededRandom(seed);
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  const noun = () =>
    weighted(random, [
      [() => pick(NOUNS), 10],
      [() => `${pick(ADJECTIVES)} ${pick(NOUNS)}`, 20],
      [() => `${pick(ADJECTIVES)}, ${pick(ADJECTIVES)} ${pick(NOUNS)}`, 10],
      [() => `${pick(ADVERBS)} ${pick(ADJECTIVES)} ${pick(NOUNS)}`, 50],
    ] as const)();
  const verb = () =>
    weighted(random, [
      [() => pick(VERBS), 30],
      [() => `${pick(AUXILIARIES)} ${pick(VERBS)}`, 1],
      [() => `${pick(VERBS)} ${pick(ADVERBS)}`, 40],
      [() => `${pick(AUXILIARIES)} ${pick(VERBS)} ${pick(ADVERBS)}`, 1],
    ] as const)();
  const prep = () => `${pick(PREPOSITIONS)} the ${noun()}`;
  const sentence = () =>
    weighted(random, [
      [() => `${noun()} ${verb()}`, 3],
      [() => `${noun()} ${verb()} ${prep()}`, 3],
      [() => `${noun()} ${verb()} ${noun()}`, 3],
      [() => `${noun()} ${prep()} ${verb()} ${noun()}`, 1],
      [() => `${noun()} ${prep()} ${verb()} ${prep()}`, 1],
    ] as const)() + pick(TERMINATORS);
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const s = sentence();
    parts.push(s);
    length += s.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}
