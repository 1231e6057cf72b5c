import Connectors
import Foundation
import Ledger
import Synchronization

/// What one answer said of its connection's rate limit: the requests left in the window, the
/// window's size and end when the provider says them, and when the answer came.
public struct RateLimitReading: Sendable, Hashable {
    /// Requests left in the window.
    public var remaining: Int
    /// Requests the window allows, when the provider says.
    public var limit: Int?
    /// When the window ends, when the provider says.
    public var resetsAt: Timestamp?
    /// When the answer came.
    public var observedAt: Timestamp

    /// Creates a reading.
    public init(
        remaining: Int, limit: Int? = nil, resetsAt: Timestamp? = nil, observedAt: Timestamp
    ) {
        self.remaining = remaining
        self.limit = limit
        self.resetsAt = resetsAt
        self.observedAt = observedAt
    }

    /// The reading of an answer's headers (Zendesk's `X-Rate-Limit-Remaining` and
    /// `ratelimit-*`, Jira's `X-RateLimit-*`); `nil` when it carries none.
    public init?(_ response: ConnectorResponse, at time: Timestamp) {
        func integer(_ names: [String]) -> Int? {
            names.lazy.compactMap { response.header($0).flatMap { Int($0) } }.first
        }
        guard
            let remaining = integer([
                "x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining",
            ])
        else {
            return nil
        }
        self.remaining = remaining
        limit = integer(["x-rate-limit", "ratelimit-limit", "x-ratelimit-limit"])
        observedAt = time
        if let seconds = response.header("ratelimit-reset").flatMap({ Int64($0) }) {
            resetsAt = Timestamp(microsecondsSinceEpoch: time.microseconds + seconds * 1_000_000)
        } else if let reset = response.header("x-ratelimit-reset") {
            resetsAt =
                Timestamp(rfc3339: reset)
                ?? Int64(reset).map { Timestamp(microsecondsSinceEpoch: $0 * 1_000_000) }
        }
    }

    var value: Value {
        var object: ValueObject = [
            "remaining": .integer(Int64(remaining)), "observedAt": .string(observedAt.description),
        ]
        object["limit"] = limit.map { .integer(Int64($0)) }
        object["resetsAt"] = resetsAt.map { .string($0.description) }
        return .object(object)
    }

    init?(value: Value) {
        guard let remaining = value["remaining"]?.integerValue,
            let observedAt = value["observedAt"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })
        else {
            return nil
        }
        self.remaining = Int(remaining)
        limit = value["limit"]?.integerValue.map { Int($0) }
        resetsAt = value["resetsAt"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        self.observedAt = observedAt
    }
}

/// The rate limit each connection's last answer reported, as the engine's requests come back.
///
/// Only answers that carry rate-limit headers count. The figure is the provider's own, for the
/// window that answer belonged to: it is not spent down between answers, and a window that has
/// ended since is not refilled here.
public final class RateLimitReadings: Sendable {
    private let readings_ = Mutex<[String: RateLimitReading]>([:])
    /// The clock answers are timed by.
    public let now: @Sendable () -> Timestamp

    /// Readings timed by `now`.
    public init(now: @escaping @Sendable () -> Timestamp = { SystemClock().now() }) {
        self.now = now
    }

    /// The last reading of each connection that has had one.
    public var readings: [String: RateLimitReading] {
        readings_.withLock { $0 }
    }

    /// Keeps what `response` says of `connection`'s rate limit.
    public func observe(_ response: ConnectorResponse, connection: String) {
        guard let reading = RateLimitReading(response, at: now()) else {
            return
        }
        readings_.withLock { $0[connection] = reading }
    }

    /// `client` with every answer read for `connection`'s rate limit on the way back; its
    /// budget, retries and log are the same.
    func client(_ client: ConnectorClient, for connection: String) -> ConnectorClient {
        ConnectorClient(
            transport: ReadingTransport(
                inner: client.transport, connection: connection, into: self),
            budget: client.budget, policy: client.policy, random: client.random,
            sleeper: client.sleeper, log: client.log)
    }
}

/// A transport that hands every answer to ``RateLimitReadings`` before returning it.
private struct ReadingTransport: HTTPTransport {
    let inner: any HTTPTransport
    let connection: String
    let into: RateLimitReadings

    func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
        let response = try await inner.send(request)
        into.observe(response, connection: connection)
        return response
    }
}

/// The rate limits last reported for each connection, kept beside the ledger in
/// `budget.json` after each pass so that `syncledger status` can show them without asking
/// the providers.
///
/// The engine does not spend its budget in the log; this file is the one place a figure
/// survives the process. Each connection keeps its own reading, with when the answer came, so
/// a connection not called in a pass (paused, say) keeps its older figure, marked as older.
public struct BudgetSnapshot: Sendable, Hashable {
    /// When the file was last written: the end of the last pass.
    public var takenAt: Timestamp
    /// Each connection's last reading.
    public var readings: [String: RateLimitReading]

    /// Creates a snapshot.
    public init(takenAt: Timestamp, readings: [String: RateLimitReading]) {
        self.takenAt = takenAt
        self.readings = readings
    }

    /// The file's path for the ledger at `ledger`.
    public static func path(ledger: String) -> String {
        ledger + "/budget.json"
    }

    /// The snapshot kept for the ledger at `ledger`; `nil` when there is none or it does not
    /// read (it is rewritten whole after the next pass).
    public static func read(ledger: String) -> BudgetSnapshot? {
        guard let data = FileManager.default.contents(atPath: path(ledger: ledger)),
            let value = try? Value(jsonBytes: Array(data)),
            let takenAt = value["takenAt"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })
        else {
            return nil
        }
        var readings: [String: RateLimitReading] = [:]
        for (connection, reading) in value["connections"]?.objectValue ?? [:] {
            readings[connection] = RateLimitReading(value: reading)
        }
        return BudgetSnapshot(takenAt: takenAt, readings: readings)
    }

    /// Writes the snapshot for the ledger at `ledger`: the kept readings with `readings` over
    /// them, taken at `time`. The file is replaced whole (written aside, then renamed), so a
    /// reader never sees half of it.
    public static func update(
        ledger: String, with readings: [String: RateLimitReading], at time: Timestamp
    ) throws {
        var merged = read(ledger: ledger)?.readings ?? [:]
        merged.merge(readings) { _, new in new }
        let snapshot = BudgetSnapshot(takenAt: time, readings: merged)
        let path = path(ledger: ledger)
        let aside = path + ".new"
        try Data(snapshot.value.json.utf8).write(to: URL(fileURLWithPath: aside))
        guard rename(aside, path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw EngineError("\(path) cannot be replaced: \(reason)")
        }
    }

    /// The snapshot as the file holds it.
    public var value: Value {
        [
            "takenAt": .string(takenAt.description),
            "connections": .object(ValueObject(readings.map { ($0.key, $0.value.value) })),
        ]
    }
}
