import Foundation

/// What a finished program left behind: its exit status and everything it printed.
struct CommandResult: CustomStringConvertible {
    /// The exit status, or the signal number when ``wasSignalled`` is true.
    let status: Int32
    /// Whether a signal ended the program.
    let wasSignalled: Bool
    let stdout: String
    let stderr: String

    /// Standard output split into lines, without the line breaks.
    var lines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
            stdout.hasSuffix("\n") || stdout.isEmpty ? 1 : 0
        ).map(String.init)
    }

    /// The lines of standard output that were finished with a line break; a line cut off by
    /// the program's death is left out.
    var completeLines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map(String.init)
    }

    var description: String {
        "status \(status)\(wasSignalled ? " (signal)" : "")\n"
            + "stdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
    }
}

/// A failure of the test harness itself, not of the program under test.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Runs programs to completion, with their output captured in files so that no pipe can fill
/// up or be held open by another child.
enum Programs {
    /// How long any one program may run before the harness kills it and fails.
    static let defaultTimeout: TimeInterval = 60

    /// Runs `executable` with `arguments`, feeding it `stdin`, and waits for it to end.
    static func run(
        _ executable: URL,
        _ arguments: [String],
        stdin: String = "",
        environment: [String: String]? = nil,
        workingDirectory: URL? = nil,
        timeout: TimeInterval = defaultTimeout
    ) throws -> CommandResult {
        try run(
            executable, arguments, input: Data(stdin.utf8), environment: environment,
            workingDirectory: workingDirectory, timeout: timeout)
    }

    /// Runs `executable` with `arguments`, feeding it the bytes `input`, and waits for it to
    /// end.
    static func run(
        _ executable: URL,
        _ arguments: [String],
        input: Data,
        environment: [String: String]? = nil,
        workingDirectory: URL? = nil,
        timeout: TimeInterval = defaultTimeout
    ) throws -> CommandResult {
        let scratch = try TemporaryDirectory(prefix: "cli-io")
        defer { scratch.remove() }
        let inputPath = scratch.url.appendingPathComponent("stdin")
        let outputPath = scratch.url.appendingPathComponent("stdout")
        let errorPath = scratch.url.appendingPathComponent("stderr")
        try input.write(to: inputPath)
        try Data().write(to: outputPath)
        try Data().write(to: errorPath)
        let inputFile = try FileHandle(forReadingFrom: inputPath)
        let output = try FileHandle(forWritingTo: outputPath)
        let error = try FileHandle(forWritingTo: errorPath)
        defer {
            try? inputFile.close()
            try? output.close()
            try? error.close()
        }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment ?? SyncLedgerCLI.environment
        if let workingDirectory {
            process.currentDirectoryURL = workingDirectory
        }
        process.standardInput = inputFile
        process.standardOutput = output
        process.standardError = error
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        if ended.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
            throw HarnessError(
                "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) "
                    + "ran longer than \(Int(timeout)) s and was killed")
        }
        return CommandResult(
            status: process.terminationStatus,
            wasSignalled: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: try Data(contentsOf: outputPath), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errorPath), as: UTF8.self))
    }
}

/// A program left running while the test talks to it: its output is read line by line as it
/// arrives, and its input stays open until ``closeInput()``.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`.
final class RunningProgram: @unchecked Sendable {
    private let process: Process
    private let input: Pipe?
    private let condition = NSCondition()
    private var outputBytes: [UInt8] = []
    private var errorBytes: [UInt8] = []
    private var openStreams = 2
    private var exitStatus: Int32?
    private var exitedBySignal = false

    /// Starts `executable`; `keepInputOpen` gives it a pipe for standard input, otherwise it
    /// reads nothing.
    init(
        _ executable: URL, _ arguments: [String], keepInputOpen: Bool = false,
        environment: [String: String]? = nil
    ) throws {
        // A write to a program that has died must fail, not end the test run with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment ?? SyncLedgerCLI.environment
        let input = keepInputOpen ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        self.process = process
        self.input = input
        process.terminationHandler = { [weak self] process in
            self?.recordExit(of: process)
        }
        try process.run()
        startReading(output.fileHandleForReading.fileDescriptor, isError: false, keep: output)
        startReading(error.fileHandleForReading.fileDescriptor, isError: true, keep: error)
    }

    /// Starts `syncledger` with `arguments`.
    static func syncledger(_ arguments: [String], keepInputOpen: Bool = false) throws
        -> RunningProgram
    {
        try RunningProgram(
            try SyncLedgerCLI.executable(), arguments, keepInputOpen: keepInputOpen)
    }

    var processIdentifier: Int32 { process.processIdentifier }

    private func recordExit(of process: Process) {
        condition.lock()
        exitStatus = process.terminationStatus
        exitedBySignal = process.terminationReason == .uncaughtSignal
        condition.broadcast()
        condition.unlock()
    }

    private func startReading(_ descriptor: Int32, isError: Bool, keep pipe: Pipe) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes {
                    read(descriptor, $0.baseAddress, $0.count)
                }
                if count < 0 && errno == EINTR {
                    continue
                }
                condition.lock()
                if count > 0 {
                    if isError {
                        errorBytes += buffer[..<count]
                    } else {
                        outputBytes += buffer[..<count]
                    }
                } else {
                    openStreams -= 1
                }
                condition.broadcast()
                condition.unlock()
                if count <= 0 {
                    withExtendedLifetime(pipe) {}
                    return
                }
            }
        }
        thread.start()
    }

    private static func completeLines(_ bytes: [UInt8]) -> [String] {
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            return []
        }
        return bytes[..<end].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits until at least `count` complete lines have been printed, the program ends, or
    /// `timeout` passes; returns the lines printed by then.
    @discardableResult
    func waitForLines(_ count: Int, timeout: TimeInterval) -> [String] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while Self.completeLines(outputBytes).count < count && openStreams > 0 {
            if !condition.wait(until: deadline) {
                break
            }
        }
        return Self.completeLines(outputBytes)
    }

    /// Whether the program has ended.
    var hasExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return exitStatus != nil
    }

    /// Writes `text` to the program's standard input; a program that has ended reads nothing.
    func write(_ text: String) {
        try? input?.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Closes the program's standard input, which it reads as the end of its input.
    func closeInput() {
        try? input?.fileHandleForWriting.close()
    }

    /// Sends `signal` to the program, unless it has ended.
    func send(_ signal: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if exitStatus == nil {
            kill(process.processIdentifier, signal)
        }
    }

    /// Waits for the program to end and its output to be read; `nil` when `timeout` passes
    /// first, in which case the program is killed.
    func waitForExit(timeout: TimeInterval = Programs.defaultTimeout) -> CommandResult? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        while exitStatus == nil || openStreams > 0 {
            if !condition.wait(until: deadline) {
                kill(process.processIdentifier, SIGKILL)
                condition.unlock()
                closeInput()
                return nil
            }
        }
        defer { condition.unlock() }
        return CommandResult(
            status: exitStatus!, wasSignalled: exitedBySignal,
            stdout: String(decoding: outputBytes, as: UTF8.self),
            stderr: String(decoding: errorBytes, as: UTF8.self))
    }
}
