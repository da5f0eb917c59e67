/**
 * The spoke map: the gateway as the hub, each source on the rim. Each spoke
 * is drawn from the live feed — pulses travel faster and the line grows
 * wider with the rows/s the source is delivering, an idle spoke is dimmed, a
 * source that is down (or whose reads fail) is red and broken, with its last
 * error on hover. The node glows brighter the more recently its data
 * changed (see freshness.ts). Every source's name and state are text in the
 * SVG (and in its accessible label), for screen readers and tests.
 */
import type { Freshness, SourceInfo } from './api.js';
import { freshnessBrightness, freshnessLabel, freshnessLevel } from './freshness.js';

/** What the map needs per source (from `/v1/sources`, then each `activity` event). */
export interface MapSource {
  readonly name: string;
  readonly state: SourceInfo['state'];
  readonly reason: string | null;
  readonly lastError: SourceInfo['lastError'];
  readonly rowsPerSecond: number;
  readonly active: number;
  /** When its data last changed, when the source can say. */
  readonly freshness: Freshness | null;
  /** Access events seen for this source since the page opened. */
  readonly events: number;
}

const SIZE = 480;
const CENTER = SIZE / 2;
const RADIUS = 170;

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M rows/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k rows/s`;
  return `${Math.round(n)} rows/s`;
}

/** `up`/`degraded`/`down`/`unknown`, plus whether it is busy or idle. */
function look(source: MapSource): { className: string; label: string } {
  const busy = source.rowsPerSecond > 0 || source.active > 0;
  if (source.state === 'down') return { className: 'spoke down', label: 'down' };
  const activity = busy ? `active, ${rate(source.rowsPerSecond)}` : 'idle';
  if (source.state === 'degraded')
    return { className: `spoke degraded ${busy ? 'busy' : 'idle'}`, label: `degraded, ${activity}` };
  if (source.state === 'unknown') return { className: 'spoke unknown idle', label: 'not probed yet' };
  return { className: `spoke up ${busy ? 'busy' : 'idle'}`, label: `up, ${activity}` };
}

export function SpokeMap(props: {
  sources: readonly MapSource[];
  selected: string | null;
  onSelect: (name: string) => void;
}) {
  const { sources } = props;
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG has no fieldset; the group role names the map
    <svg
      class="spoke-map"
      viewBox={`0 0 ${SIZE} ${SIZE}`}
      role="group"
      aria-label={`Spoke map: the gateway and ${sources.length} source${sources.length === 1 ? '' : 's'}`}
    >
      {sources.map((source, i) => {
        const angle = (2 * Math.PI * i) / Math.max(sources.length, 1) - Math.PI / 2;
        const x = CENTER + RADIUS * Math.cos(angle);
        const y = CENTER + RADIUS * Math.sin(angle);
        const shown = look(source);
        const className = shown.className;
        const label = `${shown.label}; ${freshnessLabel(source.freshness)}`;
        const glow = freshnessBrightness(source.freshness);
        const busy = source.rowsPerSecond > 0 || source.active > 0;
        // Faster pulses and a wider line for more rows/s (log scale: 1 row/s to millions).
        const magnitude = Math.log10(1 + source.rowsPerSecond);
        const width = 2 + Math.min(magnitude, 7) * 1.5;
        const duration = Math.max(0.4, 2.4 - magnitude * 0.3);
        const path = `M ${CENTER} ${CENTER} L ${x} ${y}`;
        const hover =
          source.state === 'down' || source.state === 'degraded'
            ? `${source.name}: ${shown.label} — ${source.reason ?? source.lastError?.message ?? ''}; ${freshnessLabel(source.freshness)}`
            : `${source.name}: ${label}`;
        return (
          // biome-ignore lint/a11y/useSemanticElements: an SVG group is the map's button
          <g
            key={source.name}
            class={`${className}${props.selected === source.name ? ' selected' : ''}`}
            data-source={source.name}
            data-state={source.state}
            data-pulsing={busy && source.state !== 'down' ? 'true' : 'false'}
            data-events={source.events}
            data-freshness={freshnessLevel(source.freshness)}
            role="button"
            tabindex={0}
            aria-label={`${source.name}: ${label}`}
            onClick={() => props.onSelect(source.name)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') props.onSelect(source.name);
            }}
          >
            <title>{hover}</title>
            <path class="spoke-line" d={path} stroke-width={width} />
            {busy && source.state !== 'down'
              ? [0, 1, 2].map((k) => (
                  <circle key={k} class="pulse" r={3 + width / 3}>
                    <animateMotion
                      dur={`${duration}s`}
                      begin={`${(k * duration) / 3}s`}
                      repeatCount="indefinite"
                      {...({ path: `M ${x} ${y} L ${CENTER} ${CENTER}` } as Record<string, string>)}
                    />
                  </circle>
                ))
              : null}
            {source.state === 'down' ? (
              <text class="break-mark" x={(x + CENTER) / 2} y={(y + CENTER) / 2} text-anchor="middle">
                ✕
              </text>
            ) : null}
            <circle class="freshness-glow" cx={x} cy={y} r={40} style={{ opacity: glow.toFixed(2) }} />
            <circle
              class="node"
              cx={x}
              cy={y}
              r={30}
              style={{ fillOpacity: (0.55 + 0.45 * glow).toFixed(2) }}
            />
            <text class="node-name" x={x} y={y - 2} text-anchor="middle">
              {source.name}
            </text>
            <text class="node-state" x={x} y={y + 13} text-anchor="middle">
              {source.state}
            </text>
          </g>
        );
      })}
      <g class="hub" aria-label="Spoke gateway (hub)">
        <circle cx={CENTER} cy={CENTER} r={42} />
        <text x={CENTER} y={CENTER + 5} text-anchor="middle">
          spoke
        </text>
      </g>
    </svg>
  );
}
