#!/usr/bin/env bash
# The whole CI in one command: system packages the tests need (only when missing) beside npm ci
# (only when node_modules is not the lock file's) and the build, the Docker engine (only when not
# running), and every test (vitest projects, see vitest.config.ts) in two phases:
#   1. the statistical judge's e2e beside the light files that measure time closely, one at a
#      time; the unit tests, the files that assert nothing about time, typecheck and lint at
#      nice 19 in the CPU they leave idle (from a fresh clone that work runs on into phase 2,
#      where it yields to both kinds of file);
#   2. the integration and e2e files two at a time at nice 5, beside the files whose verdict
#      rests on timing a neighbour could move, one at a time at normal priority on the first
#      core: those take that core whenever they want it, the machine files the rest. Once phase
#      1's nice-19 work ends, a third lane runs files that assert no verdict on latency.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each line says how far into the run it is, so a slow phase shows in the log itself.
log() { printf '\n[ci %3ds] %s\n' "$SECONDS" "$*" >&2; }

# Debian packages the integration tests and benchmarks talk to. Each is checked by the binary it
# provides so a machine that already has them is never touched.
declare -A need=(
  [nginx]=nginx-light
  [wrk]=wrk
  [dockerd]=docker.io
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-pushgateway]=prometheus-pushgateway
  [openssl]=openssl
  [chromium]=chromium
  [pgrep]=procps
)
missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${need[$bin]}")
done
mkdir -p .tmp
apt_job=
# Set aside while packages install (below); a run killed by SIGKILL then left it aside.
man_flag=/var/lib/man-db/auto-update
if [ -e "$man_flag.canary-gate" ] && [ ! -e "$man_flag" ] && [ -w "$(dirname "$man_flag")" ]; then
  mv "$man_flag.canary-gate" "$man_flag"
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[ci] missing packages ${missing[*]} and not root: install them with apt-get" >&2
    exit 1
  fi
  # Beside npm ci and the build, which need none of them (from a fresh machine: apt ~30 s, npm ci
  # ~37 s, one after the other before); awaited before the Docker engine and the tests.
  log "installing ${missing[*]} (beside npm ci; log in .tmp/apt.log)"
  (
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' own services from starting: tests start what they need.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    # man-db's trigger re-indexes every manual page once the packages are in: without it the
    # install took 16.8 s here where it took 20.0 and 20.7 s (idle machine), and the tests wait
    # for it.
    # The flag goes back when this subshell ends, however it ends (a signal's TERM included); the
    # daily job indexes the new pages.
    man_off=0
    trap '[ "$man_off" = 1 ] && mv "$man_flag.canary-gate" "$man_flag"' EXIT
    [ -e "$man_flag" ] && mv "$man_flag" "$man_flag.canary-gate" && man_off=1
    status=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
    rm -f /usr/sbin/policy-rc.d
    exit "$status"
  ) > .tmp/apt.log 2>&1 &
  apt_job=$!
fi

# The Docker engine, loopback only: no bridge, no iptables; containers use host networking.
# Started as soon as it is installed and awaited just before the tests, so that npm ci and the
# build run meanwhile.
dockerd_started=0
dockerd_pid=
start_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  log "starting dockerd (awaited before the tests)"
  mkdir -p /var/log
  # Without the descriptors this script inherited: run under `flock <lock> npm run ci`, dockerd
  # would otherwise keep the shared heavy lock's descriptor open, and hold the lock, for its life.
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
    exec nohup dockerd --bridge=none --iptables=false >/var/log/canary-gate-dockerd.log 2>&1
  ) &
  dockerd_pid=$!
  dockerd_started=1
}
command -v dockerd >/dev/null 2>&1 && start_dockerd
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export TESTCONTAINERS_RYUK_DISABLED=true

# A clean install, unless node_modules is already exactly what package-lock.json says: installed
# from this lock file by an earlier run (the stamp) and still whole (npm ls finds nothing missing).
stamp=node_modules/.canary-gate-lock.sha256
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ] && npm ls --all >/dev/null 2>&1; then
  log "npm ci: node_modules is package-lock.json's already; not reinstalled"
else
  log "npm ci"
  npm ci --no-audit --no-fund
  echo "$lock" > "$stamp"
fi
# The build for the tests: dist/ by esbuild, one file per module (scripts/transpile.mjs says why
# that is the same code; about 1 s where `tsc -b` from a fresh clone takes about 10), then the CLI
# bundle. The types are checked beside phase 1 at nice 19, with the declarations `npm run build`
# also writes (to .tmp, so nothing the tests run from is rewritten under them).
log "build"
node scripts/transpile.mjs
node scripts/bundle.mjs
if [ -n "$apt_job" ]; then
  if ! wait "$apt_job"; then
    cat .tmp/apt.log >&2
    echo "[ci] apt-get could not install ${missing[*]} (its output above)" >&2
    exit 1
  fi
  log "installed ${missing[*]}"
  start_dockerd
fi
if [ "$dockerd_started" = 1 ]; then
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "[ci] dockerd did not start; see /var/log/canary-gate-dockerd.log" >&2; exit 1; }
fi
rm -f .tmp/vitest-*.json .tmp/unhandled-*.json .tmp/unit.log .tmp/timed.log .tmp/late.log
# Beside each JSON report, the run's unhandled errors (vitest fails a run for them, but its JSON
# report has no place for them): the closing summary names them.
unhandled=./test/helpers/unhandled-errors-reporter.ts
# The priorities below hold only if the kernel ranks every process by its own nice. With autogroup
# scheduling on (Debian's default), it ranks sessions first, and some tests' processes start
# sessions of their own: Chromium (playwright starts it detached), regress's service builds and a
# router's commands (detached, to stop their process tree). Each such session then weighs as much
# as this whole run, whatever its nice (measured here: a setsid'd loop at nice 10 took 50 % of a
# core beside two of this session's at 24 % each; with autogroup off, 5 % beside 47 %). Off for the
# run, when this script may (root), and put back as it was when it ends, however it ends.
# Containers stay in dockerd's cgroups, outside this.
# A run killed by SIGKILL cannot put it back; the marker it leaves names its pid, so the next run
# that finds the setting off under the marker of a pid that is gone knows it was on.
autogroup=/proc/sys/kernel/sched_autogroup_enabled
marker=/tmp/canary-gate-ci-autogroup.pid
watchdog=
on_exit() {
  set +e
  [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
  if [ -f "$marker" ] && [ "$(cat "$marker")" = $$ ]; then
    echo 1 > "$autogroup"
    rm -f "$marker"
  fi
  return 0
}
trap on_exit EXIT
if [ -w "$autogroup" ] && [ "$(cat "$autogroup")" = 0 ] && [ -f "$marker" ] && ! kill -0 "$(cat "$marker")" 2>/dev/null; then
  echo 1 > "$autogroup"
  log "autogroup scheduling was left off by a run that was killed (pid $(cat "$marker")): it was on"
  rm -f "$marker"
fi
if [ -w "$autogroup" ] && [ "$(cat "$autogroup")" = 1 ]; then
  echo 0 > "$autogroup"
  echo $$ > "$marker"
  log "autogroup scheduling off for the run (put back at its end), so that nice ranks every test process"
fi
# A signal stops every run too: each runs in the background and is awaited, so that the trap runs
# at once (a non-interactive shell's background jobs ignore SIGINT, and a trap waits for a
# foreground child). vitest runs directly, not through npx: npx left it running after a SIGTERM,
# while vitest itself stops its workers. Typecheck and lint end by themselves within a minute.
# dockerd is left running on purpose.
# Stopping the runners is not enough: a stopped vitest does not run the files' afterAll, so the
# servers they started (nginx, Prometheus, Alertmanager, a CLI under test) and its forks stayed
# behind. Every process below this script is stopped (TERM, then KILL after 5 s), dockerd excepted.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    # dockerd stays; $BASHPID is the subshell asking (and pgrep below it).
    [ "$child" = "$dockerd_pid" ] || [ "$child" = "$BASHPID" ] && continue
    descendants "$child"
    echo "$child"
  done
}
stop_everything() {
  trap '' INT TERM
  set +e
  # Every pid ever seen below: a process whose parent went first is reparented out of the tree
  # while it still finishes (a CLI under test draining its requests), and still gets the KILL.
  local seen pids pid alive ids label until=$((SECONDS + 5))
  seen=$(descendants $$)
  [ -n "$seen" ] && kill -TERM $seen 2>/dev/null
  while [ "$SECONDS" -lt "$until" ]; do
    pids=$(descendants $$)
    seen="$seen $pids"
    [ -n "$pids" ] && kill -TERM $pids 2>/dev/null
    alive=0
    for pid in $seen; do kill -0 "$pid" 2>/dev/null && alive=1 && break; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in $seen; do kill -KILL "$pid" 2>/dev/null; done
  # Containers belong to dockerd, not to this tree: those the tests label go too.
  if command -v docker >/dev/null 2>&1; then
    for label in canary-gate.test canary-gate.shard.run canary-gate.regress.run; do
      ids=$(docker ps -aq --filter "label=$label" 2>/dev/null)
      [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
    done
  fi
  log "stopped by a signal: every test process and labelled container stopped"
  exit 130
}
bg=()
trap stop_everything INT TERM
# Started by npm (`npm run ci`), the run goes with npm's shell: a CI's cancel that ended npm and
# its shell, not this script, left the run going on, orphaned, with everything it had started.
# Watched as this script being reparented (not `kill -0`, which a parent of another user fails);
# the watchdog holds none of the script's descriptors (a flock's lock, the log's pipe).
if [ -n "${npm_lifecycle_event:-}" ]; then
  parent=$PPID
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
    me=$BASHPID
    ppid_of() { awk '{print $4}' "/proc/$1/stat" 2>/dev/null; }
    while [ "$(ppid_of $$)" = "$parent" ] && [ "$(ppid_of "$me")" = $$ ]; do sleep 1; done
    # Still this script's child: the script is alive and its parent went.
    [ "$(ppid_of "$me")" = $$ ] && kill -TERM $$
  ) </dev/null >/dev/null 2>&1 &
  watchdog=$!
  disown "$watchdog"
fi
set +e
# Phase 1. What asserts nothing about time (the unit tests, then the untimed files; typecheck with
# the declarations, one tsc program for both: as two it took 36 CPU-s, as one 18; lint: about 90
# CPU seconds from a fresh clone in all) runs at nice 19 in the CPU the
# judge's e2e and the quiet files leave idle: at that priority it yields the CPU to them almost
# entirely (about 70 to 1, once autogroup scheduling is off, above). Only the tests' timeouts
# bound it there (60 s; 3 min a property case). Its output goes to files (runners on one terminal
# interleave) and is printed at the end.
log "phase 1: the judge's e2e beside the quiet files; unit and untimed tests, typecheck and lint at nice 19"
nice -n 19 npm run typecheck > .tmp/typecheck.log 2>&1 &
typecheck=$!
bg+=("$typecheck")
nice -n 19 npm run lint > .tmp/lint.log 2>&1 &
lint=$!
bg+=("$lint")
CI=true nice -n 19 node_modules/.bin/vitest run --project unit --project untimed \
  --reporter=default --reporter=json --reporter="$unhandled" --outputFile.json=.tmp/vitest-unit.json > .tmp/unit.log 2>&1 &
unit=$!
bg+=("$unit")
CI=true node_modules/.bin/vitest run --project judge --project quiet \
  --reporter=default --reporter=json --reporter="$unhandled" --outputFile.json=.tmp/vitest-judge.json &
judge=$!
bg+=("$judge")
wait "$judge"
judge_status=$?
# Phase 2. The machine files at nice 5 tolerate a neighbour of their own kind, but their CLIs
# measure latency too, so they run beside the timed files, not before them: those get the CPU
# first (at nice 5 about 3 to 1), on one core only (taskset: the first this script may use), so
# that the bursts of the processes they start (a capacity search, a CPU hog they start on
# purpose) never take both cores from the machine files. Containers are started by dockerd,
# outside both the pin and nice: run-docker's shards run on any core, regress-command's builds on
# the last. Seen in CI runs: without the pin, at nice 10, a machine file's own generator
# flagged generator-limited while Chromium rendered beside it; with the pin at nice 10 (about 9
# to 1), external-checks' in-process load lost 3 of 5 seconds as generator-limited and ended
# undecided in 4 of 7 runs; with judge-run in this phase, six machine tests failed in one run.
# The machine run streams; the timed run's output is printed after it.
log "phase 2: the machine files at nice 5, beside the timed files one at a time on the first core"
pin=()
if command -v taskset >/dev/null 2>&1; then
  # The first CPU of this script's own affinity list ("0-1", "2,5-7", …), not CPU 0 blindly.
  first_cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
  pin=(taskset -c "$first_cpu")
  # Every CPU this script may use, for a test's raised CLI (test/helpers/cli.ts): a generator
  # that must keep its schedule is not held to the timed lane's one core.
  CANARY_GATE_CPUS=$(taskset -pc $$ | sed 's/.*: *//')
  export CANARY_GATE_CPUS
  # Every CPU but the first, for the containers the machine and late files start
  # (test/helpers/docker.ts, sideCpus): dockerd runs them outside nice and the pin, so on the
  # first core they would take it from the timed files at equal priority (a demo's 100 % step
  # failed its p99 in a CI run while docker-executor's containers started).
  side_cpus=$(echo "$CANARY_GATE_CPUS" | tr ',' '\n' | while IFS=- read -r from to; do seq "$from" "${to:-$from}"; done |
    grep -vx "$first_cpu" | paste -sd, - || true)
fi
side=()
[ -n "${side_cpus:-}" ] && side=(env CANARY_GATE_CONTAINER_CPUS="$side_cpus")
CI=true "${pin[@]}" node_modules/.bin/vitest run --project timed \
  --reporter=default --reporter=json --reporter="$unhandled" --outputFile.json=.tmp/vitest-timed.json > .tmp/timed.log 2>&1 &
timed=$!
bg+=("$timed")
CI=true "${side[@]}" nice -n 5 node_modules/.bin/vitest run --project machine \
  --reporter=default --reporter=json --reporter="$unhandled" --outputFile.json=.tmp/vitest-machine.json &
machine=$!
bg+=("$machine")
# The late lane: once phase 1's nice-19 work has ended, the CPU it took goes to files that assert
# no verdict on latency, one at a time at the machine files' priority (vitest.config.ts, LATE).
wait "$unit"
unit_status=$?
log "unit and untimed tests ended (exit $unit_status): the late files, one at a time at nice 5"
CI=true "${side[@]}" nice -n 5 node_modules/.bin/vitest run --project late \
  --reporter=default --reporter=json --reporter="$unhandled" --outputFile.json=.tmp/vitest-late.json > .tmp/late.log 2>&1 &
late=$!
bg+=("$late")
wait "$machine"
machine_status=$?
wait "$timed"
timed_status=$?
wait "$late"
late_status=$?
log "timed tests (beside the machine files; exit $timed_status)"
cat .tmp/timed.log
log "late tests (beside the machine and timed files; exit $late_status)"
cat .tmp/late.log
log "unit and untimed tests (phase 1, at nice 19; exit $unit_status)"
cat .tmp/unit.log
checks=0
if ! wait "$typecheck"; then log "typecheck failed"; cat .tmp/typecheck.log >&2; checks=1; fi
if ! wait "$lint"; then log "lint failed"; cat .tmp/lint.log >&2; checks=1; fi
set -e
# A plain closing over the five runs, whatever the runners print above it: the count, then each
# failed test with the start of its message, last, where a CI page that keeps only the log's
# tail still shows them.
STATUS_unit=$unit_status STATUS_judge=$judge_status STATUS_machine=$machine_status STATUS_timed=$timed_status STATUS_late=$late_status node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  const missing = [], failures = [];
  const relative = (path) => path.replace(process.cwd() + "/", "");
  for (const run of ["unit", "judge", "machine", "timed", "late"]) {
    const file = `.tmp/vitest-${run}.json`;
    let r;
    try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { missing.push(run); continue; }
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    const before = failures.length;
    for (const f of r.testResults) {
      const where = `${run}: ${relative(f.name)}`;
      const failedTests = f.assertionResults.filter((a) => a.status === "failed");
      if (failedTests.length === 0 && f.status === "failed") failures.push(`${where}: ${f.message || "the file failed"}`);
      // Nothing is skipped in CI: a test that never ran is, for example, in a file whose worker
      // died under it (vitest names only "Worker exited unexpectedly", not the file).
      const neverRan = f.assertionResults.filter((a) => a.status === "pending" || a.status === "skipped");
      if (neverRan.length > 0) failures.push(`${where}: ${neverRan.length} of ${f.assertionResults.length} tests never ran (${neverRan.map((a) => a.title).join("; ")})`);
      for (const a of failedTests) failures.push(`${where} > ${a.fullName}: ${a.failureMessages[0] ?? ""}`);
    }
    let unhandled = [];
    try { unhandled = JSON.parse(fs.readFileSync(`.tmp/unhandled-${run}.json`, "utf8")); } catch {}
    for (const e of unhandled) failures.push(`${run}: unhandled ${e.name}${e.where ? ` in ${relative(e.where)}` : ""}: ${e.message}`);
    const status = Number(process.env[`STATUS_${run}`]);
    if (status !== 0 && failures.length === before) failures.push(`${run}: vitest exited ${status} with no failed test named (its output above says why)`);
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "") +
    (missing.length ? `; no report from the ${missing.join(", ")} run` : ""));
  for (const f of failures) console.log("  FAILED " + f.replace(/\x1b\[[0-9;]*m/g, "").replace(/\s+/g, " ").slice(0, 600));
  if (missing.length) process.exitCode = 1;
' || reports=1
[ "$checks" -eq 0 ] && echo "typecheck and lint: clean" || echo "typecheck or lint: failed (above)"
log "done"
for status in "$judge_status" "$machine_status" "$timed_status" "$late_status" "$unit_status"; do
  [ "$status" -ne 0 ] && exit "$status"
done
[ "${reports:-0}" -ne 0 ] && exit 1
exit "$checks"
