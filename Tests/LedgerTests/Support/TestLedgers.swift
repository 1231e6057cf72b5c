import Foundation
import LMDB
import Ledger
import Testing

/// A fresh directory under the system's temporary directory, deleted by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/ledger-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a fresh directory, which is removed however `body` ends.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory.path)
}

/// Runs `body` with a new ledger in a fresh directory and the ledger's path.
///
/// The log is closed and the directory removed afterwards. A test that closes the log and
/// reopens the path owns the logs it opens.
func withLedger<R>(
    options: EventLog.Options = EventLog.Options(),
    _ body: (EventLog, String) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let path = directory + "/ledger"
        let log = try EventLog.open(at: path, options: options)
        defer { log.close() }
        return try await body(log, path)
    }
}

/// Options that stamp events with `clock`.
func options(clock: any LedgerClock) -> EventLog.Options {
    var options = EventLog.Options()
    options.clock = clock
    return options
}

// MARK: - Events

extension RecordReference {
    /// `zendesk:ticket/<id>`, or the same in another connection.
    static func ticket(_ id: String, connection: String = "zendesk") -> RecordReference {
        RecordReference(connection: connection, recordType: "ticket", remoteID: id)
    }
}

/// An `observed` event for `record` with `body`.
func observed(
    _ record: RecordReference?, _ body: Value = [:], id: EventID = .generate()
) -> NewEvent {
    NewEvent(id: id, kind: .observed, record: record, body: body)
}

/// A fixed id whose last byte is `number`, easy to tell apart in failures.
func fixedID(_ number: UInt8) -> EventID {
    EventID(high: 0x0191_e2f4_7c3a_7b21, low: 0x9f00_0000_0000_0000 | UInt64(number))
}

/// An array nested `depth` levels deep around `null`: depth 1 is `[null]`.
func nestedArrays(depth: Int) -> Value {
    var value = Value.null
    for _ in 0..<depth {
        value = .array([value])
    }
    return value
}

/// An object nested `depth` levels deep, each level holding the next under `"a"`.
func nestedObjects(depth: Int) -> Value {
    var value = Value.null
    for _ in 0..<depth {
        value = ["a": value]
    }
    return value
}

extension Array where Element == Event {
    var sequences: [UInt64] { map(\.sequence.rawValue) }
}

// MARK: - The stored bytes

/// The key the log stores the event at `sequence` under: 8 bytes, big-endian.
func eventKey(_ sequence: UInt64) -> [UInt8] {
    withUnsafeBytes(of: sequence.bigEndian, Array.init)
}

/// Opens the ledger at `path` with the LMDB wrapper and runs `body` with one of its
/// databases. No `EventLog` may have the path open.
func withStoredDatabase<R>(
    _ name: String, in path: String, _ body: (Environment, Database) throws -> R
) throws -> R {
    let environment = try Environment(path: path)
    defer { environment.close() }
    let database = try #require(try environment.openDatabases([name], create: false)[name])
    return try body(environment, database)
}

/// The bytes stored for the event at `sequence`.
func storedEvent(_ sequence: UInt64, in path: String) throws -> [UInt8] {
    try withStoredDatabase("events", in: path) { environment, events in
        try #require(try environment.read { try $0.value(forKey: eventKey(sequence), in: events) })
    }
}

/// Replaces the bytes stored for the event at `sequence`.
func replaceStoredEvent(_ sequence: UInt64, in path: String, with bytes: [UInt8]) throws {
    try withStoredDatabase("events", in: path) { environment, events in
        try environment.write { try $0.put(bytes, forKey: eventKey(sequence), in: events) }
    }
}

/// Changes the bytes stored for the event at `sequence` with `change`.
func modifyStoredEvent(
    _ sequence: UInt64, in path: String, _ change: (inout [UInt8]) -> Void
) throws {
    var bytes = try storedEvent(sequence, in: path)
    change(&bytes)
    try replaceStoredEvent(sequence, in: path, with: bytes)
}

/// Whether `message` holds `number` as a whole word.
func mentions(_ message: String?, _ number: some BinaryInteger) -> Bool {
    guard let message else {
        return false
    }
    return message.split(whereSeparator: { !$0.isNumber }).contains { $0 == "\(number)" }
}
