import Foundation
import Testing

/// The `syncledger` executable built beside the tests.
enum SyncLedgerCLI {
    /// The environment children run in: this one, without a default ledger, without colour.
    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["SYNCLEDGER_LEDGER"] = nil
        environment["NO_COLOR"] = "1"
        return environment
    }()

    /// The binary, found in the products directory the test bundle was built into.
    static func executable() throws -> URL {
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        let launchedAs = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(launchedAs.resolvingSymlinksInPath().deletingLastPathComponent())
        for directory in candidates {
            let binary = directory.appendingPathComponent("syncledger")
            if FileManager.default.isExecutableFile(atPath: binary.path) {
                return binary
            }
        }
        throw HarnessError(
            "no syncledger binary next to the tests (looked in "
                + candidates.map(\.path).joined(separator: ", ")
                + "); build it with 'swift build --build-tests'")
    }

    /// Runs `syncledger` with `arguments` and waits for it.
    static func run(
        _ arguments: [String],
        stdin: String = "",
        environment: [String: String]? = nil,
        workingDirectory: URL? = nil
    ) throws -> CommandResult {
        try Programs.run(
            try executable(), arguments, stdin: stdin, environment: environment,
            workingDirectory: workingDirectory)
    }

    /// Runs `syncledger` with `arguments`, feeding it the bytes `input`, and waits for it.
    static func run(_ arguments: [String], input: Data) throws -> CommandResult {
        try Programs.run(try executable(), arguments, input: input)
    }

    /// Appends `lines` (one JSON event or batch per line) to the ledger at `ledger`.
    @discardableResult
    static func append(_ lines: [String], to ledger: URL, json: Bool = true) throws
        -> CommandResult
    {
        try run(
            ["append", "--ledger", ledger.path] + (json ? ["--json"] : []),
            stdin: lines.joined(separator: "\n") + "\n")
    }

    /// The ledger's events as `log --json` prints them.
    static func logJSON(_ ledger: URL, _ options: [String] = []) throws -> CommandResult {
        try run(["log", "--json", "--ledger", ledger.path] + options)
    }
}

/// The repository this test file lives in, for the scripts and docs it checks.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static let decoder = root.appendingPathComponent("scripts/decode_ledger.py")
}

/// Debian's Python with its `lmdb` module, used to read and damage ledgers independently of
/// the Swift code under test.
enum Python {
    static let executable = URL(fileURLWithPath: "/usr/bin/python3")

    /// Whether `python3-lmdb` is installed.
    static let hasLMDB: Bool = {
        let result = try? Programs.run(executable, ["-c", "import lmdb"])
        return result?.status == 0
    }()

    static let missingLMDB: Comment = "needs Debian's python3-lmdb: apt-get install python3-lmdb"

    /// Runs the independent decoder on `ledger`.
    static func decode(_ ledger: URL, verifyIndexes: Bool = false) throws -> CommandResult {
        try Programs.run(
            executable,
            [Repository.decoder.path] + (verifyIndexes ? ["--verify-indexes"] : []) + [ledger.path])
    }

    /// Rewrites the value of event `sequence` with `transformation`, Python statements that
    /// change the bytearray `v` in place. The ledger must have no live writer.
    static func rewriteEvent(_ sequence: Int, in ledger: URL, _ transformation: String) throws {
        let script = """
            import lmdb, sys
            environment = lmdb.open(sys.argv[1], max_dbs=8)
            events = environment.open_db(b"events", create=False)
            key = int(sys.argv[2]).to_bytes(8, "big")
            with environment.begin(write=True) as transaction:
                v = bytearray(transaction.get(key, db=events))
                exec(sys.argv[3])
                transaction.put(key, bytes(v), db=events)
            environment.close()
            """
        let result = try Programs.run(
            executable, ["-c", script, ledger.path, String(sequence), transformation])
        guard result.status == 0 else {
            throw HarnessError("rewriting event \(sequence) failed: \(result)")
        }
    }

    /// Stores `value` under the ASCII `key` in the ledger's `meta` database.
    static func setMeta(_ key: String, to value: [UInt8], in ledger: URL) throws {
        let script = """
            import lmdb, sys
            environment = lmdb.open(sys.argv[1], max_dbs=8)
            meta = environment.open_db(b"meta", create=False)
            with environment.begin(write=True) as transaction:
                transaction.put(sys.argv[2].encode("ascii"), bytes.fromhex(sys.argv[3]), db=meta)
            environment.close()
            """
        let hex = value.map { String(format: "%02x", $0) }.joined()
        let result = try Programs.run(executable, ["-c", script, ledger.path, key, hex])
        guard result.status == 0 else {
            throw HarnessError("setting \(key) failed: \(result)")
        }
    }
}

/// A directory made for one test, removed by ``remove()``.
struct TemporaryDirectory: Sendable {
    let url: URL

    init(prefix: String = "cli-tests") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        var template = Array(base.appendingPathComponent("\(prefix).XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw HarnessError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }

    /// Where a ledger directory inside it goes.
    var ledger: URL { url.appendingPathComponent("ledger", isDirectory: true) }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards.
func withTemporaryDirectory<Result>(_ body: (TemporaryDirectory) throws -> Result) throws
    -> Result
{
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try body(directory)
}

/// Parses one line of JSON output into an object, or `nil` when it is not one.
func jsonObject(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}

/// An event id made from two numbers, so tests can name events before appending them.
func eventID(_ high: UInt64, _ low: UInt64 = 0) -> String {
    let digits: StaticString = "0123456789abcdef"
    var text: [UInt8] = []
    text.reserveCapacity(36)
    for position in 0..<32 {
        if position == 8 || position == 12 || position == 16 || position == 20 {
            text.append(UInt8(ascii: "-"))
        }
        let bits = position < 16 ? high : low
        let nibble = bits >> UInt64(60 - 4 * (position % 16)) & 0xf
        text.append(digits.utf8Start[Int(nibble)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// One event as a line of `append` input; `members` adds raw JSON members such as
/// `"expectedVersion":1`.
func eventLine(
    _ kind: String, record: String? = nil, id: String? = nil, body: String = "{}",
    members: String = ""
) -> String {
    var line = "{\"kind\":\"\(kind)\""
    if let record {
        line += ",\"record\":\"\(record)\""
    }
    if let id {
        line += ",\"id\":\"\(id)\""
    }
    if !members.isEmpty {
        line += "," + members
    }
    return line + ",\"body\":\(body)}"
}

/// The positions of the events in `log --json` output.
func sequences(_ result: CommandResult) -> [Int] {
    result.lines.compactMap { jsonObject($0)?["seq"] as? Int }
}

/// The ids of the events in `log --json` output, in order.
func eventIDs(_ result: CommandResult) -> [String] {
    result.lines.compactMap { jsonObject($0)?["id"] as? String }
}
