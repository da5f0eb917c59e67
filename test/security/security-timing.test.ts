/**
 * The adversarial security suite's classes that measure times (see
 * security.test.ts): existence oracles, including login timing, and
 * concurrency, fairness, timeouts and oversized statements. Run alone, so
 * that no neighbour's CPU decides them.
 */
import './existence-oracles.js';
import './concurrency-fairness.js';
import { summarizeAttacks } from './attack-test.js';
import { closeSecurityFixture } from './security-fixture.js';

summarizeAttacks(closeSecurityFixture);
