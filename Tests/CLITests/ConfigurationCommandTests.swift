import Foundation
import Ledger
import Testing

@Suite("The configuration commands")
struct ConfigurationCommandTests {
    @Test("init writes a file that check accepts, and refuses to overwrite it")
    func initThenCheck() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("syncledger.yaml").path
            let written = try SyncLedgerCLI.run(["init", file])
            #expect(written.status == 0, "\(written)")
            let checked = try SyncLedgerCLI.run(["check", file])
            #expect(checked.status == 0, "\(checked)")
            #expect(checked.stdout.contains("no problems: 2 connections, 1 pairs, 7 fields"))

            let again = try SyncLedgerCLI.run(["init", file])
            #expect(again.status == 1)
            #expect(again.stderr.contains("exists; give --force"))
        }
    }

    @Test("check reports every problem with file, line and column, and exits 1")
    func checkReportsProblems() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("bad.yaml").path
            let text = """
                connections:
                  zendesk:
                    provider: zendesk
                    baseURL: https://example.zendesk.com
                    auth: oauth
                    credentail: zendesk
                pairs:
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields: []
                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let result = try SyncLedgerCLI.run(["check", file])
            #expect(result.status == 1)
            #expect(
                result.stdout.components(separatedBy: "\n").filter { !$0.isEmpty } == [
                    "\(file):3:5: connection 'zendesk' is missing 'credential'",
                    "\(file):6:5: unknown key 'credentail' in connection 'zendesk'; did you mean 'credential'?",
                    "\(file):10:12: the right of pair 'support' names the connection 'jira', which is not declared; declared: zendesk",
                ])
            #expect(result.stderr.contains("3 problems"))

            let json = try SyncLedgerCLI.run(["check", file, "--json"])
            let value = try Value(json: json.stdout)
            #expect(value["valid"] == false)
            #expect(value["problems"]?.arrayValue?.count == 3)
            #expect(value["problems"]?.arrayValue?.first?["line"] == 3)

            let missing = try SyncLedgerCLI.run(["check", directory.url.path + "/none.yaml"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no such file"))
        }
    }

    @Test(
        "apply resolves custom fields through the sandbox, records the file, and preview shows the mapping"
    )
    func applyThenPreview() throws {
        let sandbox = try RunningProgram.syncledger(["sandbox", "--json", "--tickets", "0"])
        defer {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
        }
        let description = try Value(json: try #require(sandbox.waitForLines(1, timeout: 30).first))
        let zendesk = try #require(description["zendesk"]?["baseURL"]?.stringValue)
        let jira = try #require(description["jira"]?["baseURL"]?.stringValue)

        try withTemporaryDirectory { directory in
            let ledger = directory.ledger.path
            let file = directory.url.appendingPathComponent("syncledger.yaml").path
            let written = try SyncLedgerCLI.run(
                [
                    "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
                    "--ledger", ledger,
                ])
            #expect(written.status == 0, "\(written)")

            let applied = try SyncLedgerCLI.run(["apply", file, "--ledger", ledger])
            #expect(applied.status == 0, "\(applied)")
            #expect(
                applied.stdout.contains(
                    "the custom field 'Zendesk ticket' of jira is customfield_10100"))
            let again = try SyncLedgerCLI.run(["apply", file, "--ledger", ledger])
            #expect(again.stdout.contains("is already in force"), "\(again)")

            let events = try SyncLedgerCLI.logJSON(directory.ledger).lines.map {
                try Value(json: $0)
            }
            #expect(events.map { $0["kind"] } == ["configApplied"])
            let body = try #require(events.first?["body"])
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(body["content"]?.stringValue == text)
            #expect(body["digest"]?.stringValue == Digest.sha256(text.utf8).description)

            let observation = """
                {"kind":"observed","record":"zendesk:ticket/42","body":{"source":"poll","fields":{"subject":"Printer on fire","priority":"urgent","status":"open","tags":["hardware"],"description":"Smoke.\\nLots of it."}}}
                """
            try SyncLedgerCLI.append([observation], to: directory.ledger)
            let preview = try SyncLedgerCLI.run(
                ["preview", "zendesk:ticket/42", "--ledger", ledger, "--json"])
            #expect(preview.status == 0, "\(preview)")
            let shown = try Value(json: preview.stdout)
            let pair = try #require(shown["pairs"]?.arrayValue?.first)
            #expect(pair["target"] == "jira:issue")
            #expect(pair["admitted"] == true)
            let fields = try #require(pair["fields"]?.arrayValue)
            func writes(_ to: String) -> Value? {
                fields.first { $0["to"]?.stringValue == to }?["writes"]
            }
            #expect(writes("summary") == "Printer on fire")
            #expect(writes("priority") == "Highest")
            #expect(writes("status") == "To Do")
            #expect(writes("customfield_10100") == "42")
            #expect(writes("issuetype") == "Task")

            let human = try SyncLedgerCLI.run(["preview", "zendesk:ticket/42", "--ledger", ledger])
            #expect(
                human.stdout.contains(
                    "pair support: zendesk:ticket/42 → a new jira:issue (not linked yet)"),
                "\(human)")
        }
    }

    @Test("apply refuses a file with problems and records nothing")
    func applyRefusesProblems() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("bad.yaml").path
            try Data("connections: {}\npairs: [1]\n".utf8).write(to: URL(fileURLWithPath: file))
            let result = try SyncLedgerCLI.run(["apply", file, "--ledger", directory.ledger.path])
            #expect(result.status == 1)
            #expect(
                result.stdout.contains("bad.yaml:2:9: a pair must be a mapping, found '1'"),
                "\(result)")
            #expect(!FileManager.default.fileExists(atPath: directory.ledger.path + "/data.mdb"))
        }
    }
}
