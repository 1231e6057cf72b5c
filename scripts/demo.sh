#!/usr/bin/env bash
# The ledger and projection part of the SyncLedger story, run for real against a fresh ledger:
# a help-desk ticket is planned into a tracker issue, the writes and their echoes are recorded,
# a conflict is decided by its rule, every value is explained, and a replay proves the derived
# state. The sync engine that talks to Zendesk and Jira comes later; here its steps are taken
# by hand, with the events it would append. Usage: scripts/demo.sh PATH_TO_SYNCLEDGER
set -euo pipefail

binary=${1:?usage: scripts/demo.sh PATH_TO_SYNCLEDGER}
PATH="$(cd "$(dirname "$binary")" && pwd):$PATH"
ledger=$(mktemp -d "${TMPDIR:-/tmp}/syncledger-demo.XXXXXX")/ledger
trap 'rm -rf "$(dirname "$ledger")"' EXIT
export SYNCLEDGER_LEDGER=$ledger

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }
# Prints and runs `echo LINE | syncledger append`.
append_line() { printf "$ echo '%s' | syncledger append\n" "$1"; echo "$1" | syncledger append; }
# Records the writes `syncledger plan` proposes as intents, as the engine does before writing.
intend_planned_writes() {
    printf '$ syncledger plan --json | (each write becomes a writeIntended event) | syncledger append\n'
    syncledger plan --json | python3 -c '
import json, sys
for line in sys.stdin:
    body = json.loads(line)
    record = body.pop("record")
    print(json.dumps({"kind": "writeIntended", "record": record, "body": body}))
' | syncledger append
}

say "SyncLedger demo: the log and what is derived from it. (The engine that polls Zendesk and"
echo "   Jira comes later; here the events it would append are appended by hand.)"
echo "Ledger: $ledger"

say "1. The configuration: tickets pair with issues; subject<->summary by last writer,"
echo "   priority owned by the help desk with its values translated, tags and labels merged"
config=$(dirname "$ledger")/syncledger.yaml
cat > "$config" <<'YAML'
connections:
  zendesk: {provider: zendesk, baseURL: https://example.zendesk.com, auth: oauth, credential: zendesk}
  jira: {provider: jira, baseURL: https://example.atlassian.net, auth: oauth, credential: jira, project: SUP}
pairs:
  - name: support
    left: zendesk:ticket
    right: jira:issue
    fields:
      - {left: subject, right: summary, authority: lastWriterWins}
      - left: priority
        right: priority
        authority: owner:zendesk
        values: {urgent: Highest, high: High, normal: Medium, low: Low}
        default: {left: normal}
      - {left: tags, right: labels, authority: mergeSet}
YAML
cat "$config"
echo "A typo is caught before anything runs, with its line and column:"
sed 's/authority: owner:zendesk/authorty: owner:zendesk/' "$config" > "$config.typo"
printf '$ syncledger check syncledger.yaml.typo   # the same file with authority misspelt\n'
(cd "$(dirname "$config")" && syncledger check syncledger.yaml.typo) || true
printf '$ syncledger check syncledger.yaml && syncledger apply syncledger.yaml\n'
(cd "$(dirname "$config")" && syncledger check syncledger.yaml && syncledger apply syncledger.yaml)

say "2. A ticket arrives by webhook"
append_line '{"id":"0191e2f4-0000-7000-8000-000000000001","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:00:00Z","body":{"source":"webhook","fields":{"subject":"Printer on fire","priority":"urgent","tags":["printer"]}}}'

say "3. What the mapping would write for it, then the plan, derived from the log alone"
run syncledger preview zendesk:ticket/42
run syncledger plan
intend_planned_writes

say "4. Jira created SUP-1: the outcome and the link in one batch, then Jira's poll reports it"
append_line '[{"kind":"writeSucceeded","record":"zendesk:ticket/42","body":{"intent":3,"created":"jira:issue/SUP-1"}},{"kind":"linked","record":"zendesk:ticket/42","body":{"pair":"support","counterpart":"jira:issue/SUP-1"}}]'
append_line '{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T09:00:04Z","body":{"source":"poll","fields":{"summary":"Printer on fire","priority":"Highest","labels":["printer"]}}}'
echo "That report is the echo of the create, so nothing more is planned:"
run syncledger plan

say "5. An agent edits the ticket; the update expects the ticket's stream at version 4"
append_line '{"id":"0191e2f4-0000-7000-8000-000000000002","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:14:00Z","expectedVersion":4,"body":{"source":"webhook","fields":{"subject":"Printer on fire, third floor","priority":"normal"}}}'

say "6. The same webhook delivered again: nothing is appended twice"
append_line '{"id":"0191e2f4-0000-7000-8000-000000000002","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:14:00Z","expectedVersion":4,"body":{"source":"webhook","fields":{"subject":"Printer on fire, third floor","priority":"normal"}}}'

say "7. A writer working from a stale copy (version 1) is refused, and nothing is lost"
if append_line '{"kind":"observed","record":"zendesk:ticket/42","expectedVersion":1,"body":{"source":"poll","fields":{"subject":"stale"}}}'; then
    echo "unexpected: the stale append was accepted" >&2
    exit 1
fi

say "8. One update for the issue, only the fields that changed; Jira echoes it back trimmed"
run syncledger plan
intend_planned_writes
append_line '{"kind":"writeSucceeded","record":"jira:issue/SUP-1","body":{"intent":8}}'
append_line '{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T09:14:03Z","body":{"source":"webhook","fields":{"summary":"Printer on fire, third floor ","priority":"Medium"}}}'
echo "The echo differs by a space, yet it is recognised: no write bounces back to the ticket."
run syncledger plan

say "9. Where does the issue's summary come from?"
run syncledger why jira:issue/SUP-1 summary

say "10. Both sides edit the subject; the ticket's edit is older but arrives last"
append_line '{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T10:05:00Z","body":{"source":"webhook","fields":{"summary":"Printer replaced"}}}'
append_line '{"kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T10:01:00Z","body":{"source":"poll","fields":{"subject":"Printer still smoking"}}}'
echo "Last writer wins by upstream time: Jira's summary goes to the ticket, and the conflict is kept."
run syncledger plan
run syncledger why zendesk:ticket/42 subject

say "11. The ticket as it was after event 7, rebuilt from the log"
run syncledger show zendesk:ticket/42 --as-of 7

say "12. The whole log, oldest first"
run syncledger log

say "13. Counts and size, kept as events are appended"
run syncledger stats

say "14. Rebuild every projection from scratch, compare digests, and re-plan every intent"
run syncledger replay --check-plans

say "Done. The ledger was real (LMDB, on disk, durable); it is removed on exit."
echo "Try it yourself: syncledger --help"
