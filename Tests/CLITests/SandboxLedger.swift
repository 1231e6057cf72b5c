import Foundation
import Ledger

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the sync tests start from: `syncledger sandbox` in a process of its own, and a ledger
/// in a temporary directory whose configuration (`syncledger init --sandbox`) targets it.
final class SandboxLedger {
    /// The sandbox's process.
    let sandbox: RunningProgram
    /// The Zendesk emulator's base URL.
    let zendesk: String
    /// The Jira emulator's base URL.
    let jira: String
    /// Where the ledger and the configuration file live.
    let directory: TemporaryDirectory
    /// The configuration file.
    let file: String

    /// The ledger's path.
    var ledger: String { directory.ledger.path }

    /// Starts `syncledger sandbox --json` with `options` and writes the starter configuration
    /// for it, changed by `edit`; the configuration is applied unless `apply` is false.
    init(
        _ options: [String], edit: (String) -> String = { $0 }, apply: Bool = true
    ) throws {
        sandbox = try RunningProgram.syncledger(["sandbox", "--json"] + options)
        do {
            let first = sandbox.waitForLines(1, timeout: 60).first ?? ""
            let description = try Value(json: first)
            guard let zendesk = description["zendesk"]?["baseURL"]?.stringValue,
                let jira = description["jira"]?["baseURL"]?.stringValue
            else {
                throw HarnessError("the sandbox printed no base URLs: \(first)")
            }
            self.zendesk = zendesk
            self.jira = jira
            directory = try TemporaryDirectory()
        } catch {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
            throw error
        }
        file = directory.url.appendingPathComponent("syncledger.yaml").path
        let created = try SyncLedgerCLI.run([
            "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
            "--ledger", directory.ledger.path,
        ])
        guard created.status == 0 else {
            throw HarnessError("init failed: \(created)")
        }
        try edit(try String(contentsOfFile: file, encoding: .utf8))
            .write(toFile: file, atomically: true, encoding: .utf8)
        if apply {
            try run(["apply", file])
        }
    }

    deinit {
        sandbox.send(SIGTERM)
        _ = sandbox.waitForExit(timeout: 30)
        directory.remove()
    }

    /// Runs `syncledger` with `arguments` and this ledger; throws unless it exits 0.
    @discardableResult
    func run(_ arguments: [String]) throws -> CommandResult {
        let result = try SyncLedgerCLI.run(arguments + ["--ledger", ledger])
        guard result.status == 0 else {
            throw HarnessError("syncledger \(arguments.joined(separator: " ")): \(result)")
        }
        return result
    }

    /// One pass of `sync --once`, whatever its status.
    func sync() throws -> CommandResult {
        try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
    }

    /// The events of `kinds` in the log, as JSON, oldest first.
    func events(_ kinds: String...) throws -> [Value] {
        try SyncLedgerCLI.logJSON(directory.ledger, kinds.flatMap { ["--kind", $0] }).lines.map {
            try Value(json: $0)
        }
    }

    /// The first link the log holds, as ticket id and issue key.
    func firstLink() throws -> (ticket: String, issue: String) {
        guard let link = try events("linked").first,
            let ticket = link["record"]?.stringValue?.split(separator: "/").last,
            let issue = link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last
        else {
            throw HarnessError("the log holds no link")
        }
        return (String(ticket), String(issue))
    }

    /// Sends a request to Zendesk as the sandbox's agent and returns the JSON answer.
    func zendesk(_ method: String, _ path: String, body: Value? = nil) async throws -> Value {
        try await Self.call(method, zendesk + path, user: "agent@example.com/token", body: body)
    }

    /// Sends a request to Jira as the sandbox's agent and returns the JSON answer.
    func jira(_ method: String, _ path: String, body: Value? = nil) async throws -> Value {
        try await Self.call(method, jira + path, user: "agent@example.com", body: body)
    }

    /// Sends a request with the sandbox's API token, trying again (up to 100 times) while the
    /// answer is a 5xx or a 429, as faults make them; returns the JSON answer.
    static func call(
        _ method: String, _ url: String, user: String, body: Value? = nil
    ) async throws -> Value {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        let token = Data("\(user):sandbox-token".utf8).base64EncodedString()
        request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.json.utf8)
        }
        for _ in 0..<100 {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status == 429 || status >= 500 {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            return data.isEmpty ? .null : try Value(jsonBytes: Array(data))
        }
        throw HarnessError("\(method) \(url) kept failing")
    }
}
