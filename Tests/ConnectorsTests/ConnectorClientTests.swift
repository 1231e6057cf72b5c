import Foundation
import HTTPServer
import Ledger
import Sandbox
import Synchronization
import Testing

@testable import Connectors

/// Records the waits a client asks for instead of spending them.
final class RecordingSleeper: Sleeper {
    private let waits = Mutex<[Duration]>([])

    func sleep(for duration: Duration) async throws {
        waits.withLock { $0.append(duration) }
    }

    var recorded: [Duration] { waits.withLock { $0 } }
}

/// Collects log lines.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// A Zendesk sandbox on loopback and a client for it.
struct ClientScenario {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))
    let server: HTTPServer
    let sleeper = RecordingSleeper()
    let lines = LogLines()
    let client: ConnectorClient

    init(faults: String? = nil, requestsPerMinute: Int = 0) throws {
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        configuration.requestsPerMinute = requestsPerMinute
        if let faults {
            configuration.faults = try FaultSettings(json: faults)
        }
        server = try HTTPServer(router: ZendeskEmulator(configuration: configuration).router)
        let lines = self.lines
        client = ConnectorClient(
            sleeper: sleeper, log: { lines.append($0) })
    }

    func request(_ path: String) -> ConnectorRequest {
        request("GET", path)
    }

    func request(
        _ method: String, _ path: String, body: String? = nil,
        headers: [(name: String, value: String)] = []
    ) -> ConnectorRequest {
        ConnectorRequest(
            method: method, url: server.baseURL + path,
            headers: [
                (
                    "Authorization",
                    "Basic "
                        + Data("agent@example.com/token:sandbox-token".utf8).base64EncodedString()
                ),
                ("Content-Type", "application/json"),
            ] + headers,
            body: body.map { Array($0.utf8) })
    }
}

@Suite("Connector client")
struct ConnectorClientTests {
    @Test func aReadThatMeetsServerErrorsIsRetriedUntilItSucceeds() async throws {
        let scenario = try ClientScenario(faults: #"{"serverErrorRate":0.6,"seed":4}"#)
        defer { scenario.server.stop() }
        let response = try await scenario.client.send(scenario.request("/api/v2/tickets/1.json"))
        #expect(response.status == 200)
        let statuses = scenario.lines.all.compactMap { $0.split(separator: "→ ").last?.prefix(3) }
        #expect(statuses.first == "503", "the seed starts with a failure: \(scenario.lines.all)")
        #expect(statuses.last == "200")
        #expect(scenario.sleeper.recorded.count == statuses.count - 1)
        #expect(scenario.sleeper.recorded.allSatisfy { $0 <= .milliseconds(200) * 16 })
    }

    @Test func aReadThatNeverSucceedsGivesUpWithATypedError() async throws {
        let scenario = try ClientScenario(faults: #"{"serverErrorRate":1}"#)
        defer { scenario.server.stop() }
        let error = await #expect(throws: ConnectorError.self) {
            _ = try await scenario.client.send(scenario.request("/api/v2/tickets/1.json"))
        }
        #expect(error?.attempts == 5)
        #expect(error?.lastStatus == 503)
        #expect(error?.description.contains("failed after 5 attempts, last answer 503") == true)
        #expect(error?.description.contains("ServiceUnavailable") == true)
    }

    @Test func aWriteWithoutAnIdempotencyKeyIsNotRetriedButOneWithAKeyIs() async throws {
        let scenario = try ClientScenario(faults: #"{"serverErrorRate":1}"#)
        defer { scenario.server.stop() }
        let body = #"{"ticket":{"subject":"x","comment":{"body":"y"}}}"#
        let once = try await scenario.client.send(
            scenario.request("POST", "/api/v2/tickets.json", body: body))
        #expect(once.status == 503)
        #expect(scenario.lines.all.count == 1)

        _ = try? await scenario.client.send(
            scenario.request(
                "POST", "/api/v2/tickets.json", body: body, headers: [("Idempotency-Key", "k-1")]))
        #expect(scenario.lines.all.count == 1 + 5)
    }

    @Test func retryAfterSetsTheWaitAndTheTotalWaitIsCapped() async throws {
        let scenario = try ClientScenario(
            faults: #"{"rateLimitStormRate":1}"#, requestsPerMinute: 100)
        defer { scenario.server.stop() }
        let error = await #expect(throws: ConnectorError.self) {
            _ = try await scenario.client.send(
                scenario.request("POST", "/api/v2/tickets.json", body: "{}"))
        }
        #expect(error?.lastStatus == 429, "a 429 is retried even for a write")
        let retryAfter = 60 - 1_796_000_000 % 60
        let waits = scenario.sleeper.recorded
        #expect(!waits.isEmpty)
        for wait in waits {
            #expect(abs((wait - .seconds(retryAfter)) / .seconds(1)) < 0.5, "\(waits)")
        }
        #expect(waits.count <= 60 / retryAfter, "no more waiting than the cap allows")
    }

    @Test func aBudgetSpreadsWhatRemainsOverTheWindowAndSharesSplitIt() {
        let budget = RateBudget()
        #expect(budget.delay() == .zero, "an unknown budget does not hold requests")
        budget.learn(
            from: ConnectorResponse(
                status: 200, headers: ["x-rate-limit-remaining": "10", "ratelimit-reset": "20"],
                body: []))
        let first = budget.delay()
        let second = budget.delay()
        let third = budget.delay()
        #expect(first < .milliseconds(50))
        #expect(abs((second - .seconds(2)) / .seconds(1)) < 0.5, "\(second)")
        #expect(abs((third - .seconds(4)) / .seconds(1)) < 0.5, "\(third)")

        let shared = RateBudget()
        shared.learn(
            from: ConnectorResponse(
                status: 200, headers: ["ratelimit-remaining": "10", "ratelimit-reset": "20"],
                body: []))
        _ = shared.delay(share: 0.5)
        let half = shared.delay(share: 0.5)
        #expect(
            abs((half - .seconds(4)) / .seconds(1)) < 0.5,
            "half the budget, twice the spacing: \(half)")

        let empty = RateBudget()
        empty.learn(
            from: ConnectorResponse(
                status: 200, headers: ["ratelimit-remaining": "0", "ratelimit-reset": "7"], body: []
            ))
        #expect(
            abs((empty.delay() - .seconds(7)) / .seconds(1)) < 0.5,
            "nothing left: wait for the reset")

        let blocked = RateBudget()
        blocked.learn(from: ConnectorResponse(status: 429, headers: ["retry-after": "3"], body: []))
        #expect(abs((blocked.delay() - .seconds(3)) / .seconds(1)) < 0.5, "Retry-After wins")
    }

    @Test func secretsNeverReachLogsOrErrors() async throws {
        let scenario = try ClientScenario(faults: #"{"serverErrorRate":1}"#)
        defer { scenario.server.stop() }
        var request = scenario.request("/api/v2/tickets.json?access_token=s3cr3t-token&page=2")
        request.headers.append(("X-Extra", "Bearer s3cr3t-bearer"))
        let error = await #expect(throws: ConnectorError.self) {
            _ = try await scenario.client.send(request)
        }
        let everything = scenario.lines.all.joined(separator: "\n") + (error?.description ?? "")
        #expect(everything.contains("access_token=[redacted]"))
        #expect(!everything.contains("s3cr3t"))
        #expect(
            Redaction.redact(#"{"refresh_token":"r-123","client_secret": "cs","scope":"read"}"#)
                == #"{"refresh_token":"[redacted]","client_secret": "[redacted]","scope":"read"}"#)
        #expect(
            Redaction.redact("Authorization: Basic YWdlbnQ6dG9rZW4=")
                == "Authorization: Basic [redacted]")
    }
}
