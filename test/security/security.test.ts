/**
 * The adversarial security suite (issue 13): an analyst with an ordinary
 * login attacks a gateway whose sources hold sentinel values under every
 * kind of policy, over the Postgres wire, HTTP and Flight. Each case names
 * the attack class it covers; the run ends with `N passed, N failed`.
 *
 * One process and one fixture for every class (starting PostgreSQL, the
 * sources and the gateways once keeps the suite within a few minutes).
 */
import './host-access.js';
import './error-extraction.js';
import './catalog-isolation.js';
import './existence-oracles.js';
import './concurrency-fairness.js';
import './writes.js';
import { summarizeAttacks } from './attack-test.js';
import { closeSecurityFixture } from './security-fixture.js';

summarizeAttacks(closeSecurityFixture);
