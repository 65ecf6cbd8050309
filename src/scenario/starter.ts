/** The commented starter scenario `canary-gate init` writes. It validates as written. */

/** Starter scenario text (YAML). */
export const STARTER_SCENARIO = `# canary-gate scenario: a staged canary of one service.
# Check it with: canary-gate validate <this file>   (prints the resolved plan; sends nothing)
# Editor completion: point $schema at the JSON Schema (canary-gate schema prints it).
$schema: ./node_modules/canary-gate/schema/scenario.schema.json

name: my-service canary
description: move traffic to the new version in stages and roll back on a latency regression

targets:
  baseline:                          # the version in production
    url: http://127.0.0.1:8080
    health: [/health/live, /health/ready]
  canary:                            # the new version
    url: http://127.0.0.1:8081
    health: [/health/live, /health/ready]

traffic:
  rate: 200/s                        # open model: constant arrival rate; omit for the closed model
  connections: 100                   # in-flight limit per target
  warmup: 5s                         # at each step, traffic before measuring (discarded)
  stepDuration: 30s                  # measured time per step
  maxStepDuration: 2m                # a step may be extended while the judge is inconclusive
  timeout: 5s                        # per request; timeouts are recorded at this value

requests:                            # the request mix
  - name: list items
    path: /api/items
    weight: 3
  - name: create item
    method: POST
    path: /api/items
    headers:
      content-type: application/json
      authorization: Bearer \${env:API_TOKEN}   # secrets come from the environment, redacted everywhere
    body: '{"name":"canary"}'
    weight: 1

steps: [10, 25, 50, 75, 100]         # canary weight in percent at each step

router:
  type: split                        # canary-gate sends w % of its own requests to the canary
  # type: nginx                      # or: weighted upstreams in a file nginx includes
  # upstreamFile: /etc/nginx/conf.d/canary-gate-upstream.conf

gates:
  checks:                            # left out: the defaults (p50, p99, distribution, errorRate vs the baseline arm)
    - metric: p99
      max: 250ms                     # absolute bound on the canary
      vsBaseline: { ratio: 1.10, slack: 1ms }   # canary p99 ≤ baseline p99 × 1.10 + 1 ms
    - metric: errorRate
      max: 1%
      # every check is critical (a failure rolls back at once); critical: false counts only in the score
  statistics:
    alpha: 0.01                      # false-rollback budget for the whole run
    beta: 0.05                       # false-promotion budget per check
    minSamples: 200

outputs:
  dir: canary-gate-output
  formats: [json, markdown]
`;
