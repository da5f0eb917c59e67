/**
 * The adversarial security suite (issue 13): an analyst with an ordinary
 * login attacks a gateway whose sources hold sentinel values under every
 * kind of policy, over the Postgres wire, HTTP and Flight. Each case names
 * the attack class it covers; the run ends with `N passed, N failed`.
 *
 * Two files, each one process with one fixture for its classes (starting
 * PostgreSQL, the sources and the gateways once keeps each within a minute):
 * this one, whose cases check answers and errors, runs beside other test
 * files; security-timing.test.ts, whose cases measure times (existence
 * oracles, fairness, timeouts), runs alone.
 */
import './host-access.js';
import './error-extraction.js';
import './catalog-isolation.js';
import './writes.js';
import { summarizeAttacks } from './attack-test.js';
import { closeSecurityFixture } from './security-fixture.js';

summarizeAttacks(closeSecurityFixture);
