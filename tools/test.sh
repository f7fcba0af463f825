#!/usr/bin/env bash
# Quick start, part 2: installs, brings up the infrastructure, builds, type-checks, lints, checks formatting, and runs the
# unit and end-to-end tests. Ends with one line "N passed, M failed"; exits non-zero if anything failed.
#   bash tools/test.sh
# The tests use their own databases, NATS/Redis prefixes and ports, so they can run beside tools/start.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib/infra.sh

RESULTS="$SY_DATA/test-results"
failed_steps=()

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# run_step NAME CMD...: runs CMD, remembers NAME if it failed, never stops the script.
run_step() {
  local name=$1
  shift
  step "$name: $*"
  local start=$SECONDS
  if "$@"; then
    sy_info "$name: ok ($((SECONDS - start))s)"
  else
    sy_fail "$name: FAILED ($((SECONDS - start))s)"
    failed_steps+=("$name")
  fi
}

# Checks docker-compose.yml with whichever Compose is installed. Neither is needed: tools/compose.spec.ts (unit tests)
# validates the file against the Compose Specification schema on every machine.
compose_config() {
  # The compose file requires a master key (it has no default); any long value lets the check run.
  local SWITCHYARD_MASTER_KEY="${SWITCHYARD_MASTER_KEY:-sk-compose-config-check-0123456789abcdef}"
  export SWITCHYARD_MASTER_KEY
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
  elif command -v docker-compose >/dev/null 2>&1; then
    local version
    version="$(docker-compose version --short 2>/dev/null || true)"
    if [[ "$version" == 1.* ]]; then
      # docker-compose 1.x predates the top-level `name:` key of the current spec; check the rest of the file.
      sy_info "docker-compose $version: checking the file without its top-level name: key"
      sed '/^name:/d' docker-compose.yml | docker-compose -f - --project-directory . -p switchyard config -q
    else
      docker-compose -f docker-compose.yml config -q
    fi
  else
    sy_info "neither docker compose nor docker-compose is installed: relying on the schema test (tools/compose.spec.ts)"
  fi
}

sy_check_node
sy_dirs
step "install"
sy_npm_ci
step "infrastructure"
sy_ensure_infra

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
# A failed build is reported but does not stop the run: unit tests use the sources, and the rest still informs.
run_step build npm run --silent build
run_step typecheck npx tsc -p tsconfig.json --noEmit
# The module-boundary rule reads Nx's cached project graph and silently skips itself without one (fresh clone).
run_step lint bash -c 'npx nx show projects >/dev/null && npx eslint .'
run_step format npx prettier --check .
run_step "compose config" compose_config
# End-to-end files mostly wait on services in other processes (the NATS outage test waits two minutes by
# design), so two run at a time even on two cores; each file has its own databases, prefixes and ports.
for project in unit e2e; do
  workers=()
  [[ $project == e2e ]] && workers=(--maxWorkers=2)
  run_step "tests ($project)" npx vitest run --project "$project" --passWithNoTests "${workers[@]}" \
    --reporter=default --reporter=json --outputFile="$RESULTS/$project.json"
done

step "summary"
summary="$(node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const project of ["unit", "e2e"]) {
    const file = process.argv[1] + "/" + project + ".json";
    if (!fs.existsSync(file)) { console.error("    no results for " + project + " (vitest did not finish)"); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // A file that failed to load, or whose beforeAll failed, has no failed test (they are skipped): count it once.
    failed += (r.testResults || []).filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  }
  console.log(passed + " passed, " + failed + " failed");
' "$RESULTS")"
if ((${#failed_steps[@]} > 0)); then
  sy_fail "failed steps: ${failed_steps[*]} (test reports: $(sy_rel "$RESULTS")/*.json)"
fi
echo "$summary"
if ((${#failed_steps[@]} > 0)) || [[ "$summary" != *" 0 failed" ]]; then
  exit 1
fi
