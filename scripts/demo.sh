#!/usr/bin/env bash
# The ledger part of the SyncLedger story, run for real against a fresh ledger: append what a
# help desk and a tracker report, inspect it, read one record's history, retry safely, and
# see a stale write refused. Usage: scripts/demo.sh PATH_TO_SYNCLEDGER
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

say "SyncLedger demo: the event log. (The sync engine that fills it from Zendesk and Jira"
echo "   comes later; here the changes those systems would report are appended by hand.)"
echo "Ledger: $ledger"

say "1. A ticket arrives in the help desk, and its issue in the tracker: two observations"
cat > "$ledger.1.jsonl" <<'JSON'
{"id":"0191e2f4-0000-7000-8000-000000000001","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:00:00Z","body":{"subject":"Printer on fire","status":"new","priority":"urgent","tags":["printer","facilities"]}}
{"id":"0191e2f4-0000-7000-8000-000000000002","kind":"observed","record":"jira:issue/10001","upstreamAt":"2026-12-03T09:00:05Z","body":{"summary":"Printer on fire","priority":"Highest","labels":["printer"]}}
JSON
printf "$ cat tickets.jsonl\n"; cat "$ledger.1.jsonl"
run syncledger append --file "$ledger.1.jsonl"

say "2. The two records are counterparts: a batch of two link events, all or nothing"
append_line '[{"kind":"linked","record":"zendesk:ticket/42","body":{"counterpart":"jira:issue/10001","pair":"support"}},{"kind":"linked","record":"jira:issue/10001","body":{"counterpart":"zendesk:ticket/42","pair":"support"}}]'

say "3. An agent updates the ticket; the update expects the ticket's stream at version 2"
append_line '{"id":"0191e2f4-0000-7000-8000-000000000003","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:14:00Z","expectedVersion":2,"body":{"status":"open","priority":"urgent","comment":"Fire is out; the printer is not."}}'

say "4. The same update delivered again (a webhook retry): nothing is appended twice"
append_line '{"id":"0191e2f4-0000-7000-8000-000000000003","kind":"observed","record":"zendesk:ticket/42","upstreamAt":"2026-12-03T09:14:00Z","expectedVersion":2,"body":{"status":"open","priority":"urgent","comment":"Fire is out; the printer is not."}}'

say "5. A writer working from a stale copy (version 1) is refused, and nothing is lost"
if append_line '{"kind":"observed","record":"zendesk:ticket/42","expectedVersion":1,"body":{"status":"solved"}}'; then
    echo "unexpected: the stale append was accepted" >&2
    exit 1
fi

say "6. The whole log, oldest first"
run syncledger log

say "7. One record's history: every change to zendesk:ticket/42, with its stream version"
run syncledger log --record zendesk:ticket/42

say "8. Replay from any position, either way: the last two events, newest first, as JSON"
run syncledger log --reverse --limit 2 --json

say "9. Only the links"
run syncledger log --kind linked

say "10. Counts and size, kept as events are appended"
run syncledger stats

say "Done. The ledger was real (LMDB, on disk, durable); it is removed on exit."
echo "Try it yourself: $syncledger --help"
