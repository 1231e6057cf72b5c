import Foundation
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("The sandbox command")
struct SandboxCommandTests {
    @Test("sandbox prints its URLs and credentials, serves them, and stops on SIGTERM")
    func servesUntilTerminated() async throws {
        let sandbox = try RunningProgram.syncledger(
            [
                "sandbox", "--json", "--seed", "3", "--tickets", "7", "--faults",
                #"{"schemaDrift":true}"#,
            ])
        let lines = sandbox.waitForLines(1, timeout: 30)
        let description = try Value(json: try #require(lines.first, "no description printed"))
        let zendesk = try #require(description["zendesk"])
        let base = try #require(zendesk["baseURL"]?.stringValue)
        #expect(base.hasPrefix("http://127.0.0.1:"))
        #expect(description["tickets"] == 7)
        #expect(description["jira"]?["cloudId"] == "sandbox-cloud")
        let jiraBase = try #require(description["jira"]?["baseURL"]?.stringValue)
        #expect(jiraBase != base)

        var request = URLRequest(url: URL(string: base + "/api/v2/tickets.json")!)
        let credentials =
            "\(zendesk["email"]!.stringValue!)/token:\(zendesk["apiToken"]!.stringValue!)"
        request.setValue(
            "Basic " + Data(credentials.utf8).base64EncodedString(),
            forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(try Value(jsonBytes: Array(data))["count"] == 7)
        var faults = URLRequest(url: URL(string: base + "/_sandbox/faults")!)
        faults.httpMethod = "GET"
        let (shown, _) = try await URLSession.shared.data(for: faults)
        #expect(try Value(jsonBytes: Array(shown))["schemaDrift"] == true, "faults set at start")

        var search = URLRequest(
            url: URL(
                string: jiraBase + "/rest/api/3/search/jql?jql=project%20%3D%20SUP&fields=key")!)
        search.setValue(
            "Basic " + Data("agent@example.com:sandbox-token".utf8).base64EncodedString(),
            forHTTPHeaderField: "Authorization")
        let (found, searched) = try await URLSession.shared.data(for: search)
        #expect((searched as? HTTPURLResponse)?.statusCode == 200)
        #expect(try Value(jsonBytes: Array(found))["issues"]?.arrayValue?.count == 7)

        sandbox.send(SIGTERM)
        let ended = try #require(sandbox.waitForExit(timeout: 30))
        #expect(ended.status == 0, "\(ended)")
        #expect(!ended.wasSignalled)
    }

    @Test("a port already taken is a clear failure")
    func portInUse() throws {
        let first = try RunningProgram.syncledger(["sandbox", "--json"])
        defer {
            first.send(SIGTERM)
            _ = first.waitForExit(timeout: 30)
        }
        let line = try #require(first.waitForLines(1, timeout: 30).first)
        let base = try #require(try Value(json: line)["zendesk"]?["baseURL"]?.stringValue)
        let port = try #require(base.split(separator: ":").last.map(String.init))

        let second = try SyncLedgerCLI.run(["sandbox", "--zendesk-port", port])
        #expect(second.status == 1)
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(port)"), "\(second)")
    }
}
