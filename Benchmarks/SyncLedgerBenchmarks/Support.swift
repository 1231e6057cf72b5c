import Glibc
import Synchronization

/// A benchmark step that failed for a reason outside the code being measured.
struct BenchmarkError: Error, CustomStringConvertible {
    /// What failed and why.
    let description: String

    /// Creates an error from a message.
    init(_ description: String) {
        self.description = description
    }

    /// An error for a failed system call, with the system's message for `code`.
    static func system(_ call: String, _ code: Int32, _ subject: String) -> BenchmarkError {
        BenchmarkError("\(call) failed for \(subject): \(String(cString: strerror(code)))")
    }
}

// MARK: - Timing

/// Runs `body` and returns its result with the time it took on the continuous clock.
func measure<R>(_ body: () throws -> R) rethrows -> (result: R, duration: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    return (result, start.duration(to: clock.now))
}

/// Runs `body` `times` times and returns the last result with the shortest time.
///
/// Scans are short and the machines shared, so one slow run says little; both sides of a
/// comparison are measured this way.
func measureBest<R>(of times: Int, _ body: () throws -> R) rethrows -> (
    result: R, duration: Duration
) {
    var best = try measure(body)
    for _ in 1..<max(times, 1) {
        let run = try measure(body)
        best = (run.result, min(best.duration, run.duration))
    }
    return best
}

/// Runs an asynchronous `body` and returns its result with the time it took.
func measure<R>(_ body: () async throws -> R) async rethrows -> (result: R, duration: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, start.duration(to: clock.now))
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// Events per second for `count` events done in `duration`.
func eventsPerSecond(_ count: Int, _ duration: Duration) -> Double {
    duration.seconds > 0 ? Double(count) / duration.seconds : 0
}

// MARK: - Printing

/// Prints one line of the report and flushes it, so progress shows when output is piped.
func report(_ line: String) {
    print(line)
    fflush(nil)
}

/// Writes `text` to standard error as it is.
func printError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
    }
}

/// `value` rounded to `decimals` places, without exponent notation.
func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals {
        scale *= 10
    }
    let scaled = Int64((abs(value) * scale).rounded())
    let whole = scaled / Int64(scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else {
        return sign + String(whole)
    }
    let fraction = String(scaled % Int64(scale))
    let padding = String(repeating: "0", count: decimals - fraction.count)
    return sign + String(whole) + "." + padding + fraction
}

/// A rate as a whole number of events per second.
func rate(_ value: Double) -> String {
    fixed(value, decimals: 0)
}

/// A byte count in mebibytes with one decimal.
func megabytes(_ bytes: Int) -> String {
    fixed(Double(bytes) / Double(1 << 20), decimals: 1)
}

// MARK: - Configuration

/// The integer in environment variable `name`, or `fallback` when it is unset.
///
/// Throws when the variable is set to anything but a positive integer.
func environmentInteger(_ name: String, default fallback: Int) throws -> Int {
    guard let raw = getenv(name) else {
        return fallback
    }
    let text = String(cString: raw)
    guard let value = Int(text), value > 0 else {
        throw BenchmarkError("\(name) must be a positive integer, not \"\(text)\"")
    }
    return value
}

// MARK: - Threads

/// A system thread running one throwing closure; ``join()`` waits for it and rethrows.
///
/// Used where Swift concurrency would not do: blocking callers that each need their own
/// thread, and a sampler that must keep running while the main thread blocks.
final class SystemThread: Sendable {
    private let handle: pthread_t
    private let work: ThreadWork

    /// Starts a thread running `body`.
    init(_ body: @escaping @Sendable () throws -> Void) throws {
        let work = ThreadWork(body)
        let context = Unmanaged.passRetained(work).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { context in
                Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<ThreadWork>.fromOpaque(context).release()
            throw BenchmarkError.system("pthread_create", result, "a benchmark thread")
        }
        self.handle = handle
        self.work = work
    }

    /// Waits for the thread to end; rethrows what its closure threw.
    func join() throws {
        pthread_join(handle, nil)
        if let error = work.failure.withLock({ $0 }) {
            throw error
        }
    }
}

/// The closure a ``SystemThread`` runs and what it threw, boxed to cross the C thread entry
/// point.
private final class ThreadWork: Sendable {
    let body: @Sendable () throws -> Void
    let failure = Mutex<(any Error)?>(nil)

    init(_ body: @escaping @Sendable () throws -> Void) {
        self.body = body
    }

    func run() {
        do {
            try body()
        } catch {
            failure.withLock { $0 = error }
        }
    }
}

// MARK: - Memory

/// Samples the process's anonymous resident memory (`RssAnon`) on its own thread.
///
/// Anonymous memory is what the process allocates; pages of LMDB's memory-mapped file are
/// file-backed and do not count, so this measures what the code holds, not the page cache.
final class MemorySampler: Sendable {
    private let peakKilobytes = Atomic<Int>(0)
    private let phasePeakKilobytes = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let thread: Mutex<SystemThread?> = Mutex(nil)

    /// Starts sampling every `interval`.
    init(interval: Duration = .milliseconds(20)) throws {
        let microseconds = UInt32(interval.seconds * 1_000_000)
        let sampling = try SystemThread { [self] in
            while !stopping.load(ordering: .relaxed) {
                sample()
                usleep(microseconds)
            }
        }
        thread.withLock { $0 = sampling }
    }

    /// Stops sampling and waits for the sampling thread; returns the peak in bytes.
    func stop() throws -> Int {
        stopping.store(true, ordering: .relaxed)
        try thread.withLock { $0 }?.join()
        sample()
        return peakKilobytes.load(ordering: .relaxed) * 1024
    }

    /// The peak since the previous call (or since sampling started), in bytes; starts a new
    /// phase.
    func endPhase() -> Int {
        sample()
        let current = Self.residentAnonymousKilobytes() ?? 0
        return phasePeakKilobytes.exchange(current, ordering: .relaxed) * 1024
    }

    /// The anonymous resident memory right now, in bytes.
    func current() -> Int {
        (Self.residentAnonymousKilobytes() ?? 0) * 1024
    }

    private func sample() {
        guard let kilobytes = Self.residentAnonymousKilobytes() else {
            return
        }
        peakKilobytes.raise(to: kilobytes)
        phasePeakKilobytes.raise(to: kilobytes)
    }

    /// The `RssAnon` line of `/proc/self/status`, in kilobytes.
    static func residentAnonymousKilobytes() -> Int? {
        processField("RssAnon", in: "/proc/self/status")
    }
}

/// The bytes this process has caused to be written to storage so far (`write_bytes` of
/// `/proc/self/io`), or `nil` where the kernel does not count them.
func storageBytesWritten() -> Int? {
    processField("write_bytes", in: "/proc/self/io")
}

/// The number after `name:` in a `/proc` file of `name: value` lines.
private func processField(_ name: String, in path: String) -> Int? {
    let file = open(path, O_RDONLY)
    guard file >= 0 else {
        return nil
    }
    defer { close(file) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
    guard count > 0 else {
        return nil
    }
    let text = String(decoding: buffer[..<count], as: UTF8.self)
    let prefix = name + ":"
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else {
        return nil
    }
    return line.dropFirst(prefix.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
        .first.flatMap { Int($0) }
}

extension Atomic where Value == Int {
    /// Raises the stored value to `candidate` when that is larger.
    fileprivate func raise(to candidate: Int) {
        var current = load(ordering: .relaxed)
        while candidate > current {
            let exchange = compareExchange(
                expected: current, desired: candidate, ordering: .relaxed)
            if exchange.exchanged {
                return
            }
            current = exchange.original
        }
    }
}

// MARK: - Files

/// A fresh directory under `$TMPDIR` (or `/tmp`), removed with everything in it by
/// ``remove()``.
struct TemporaryDirectory: Sendable {
    /// The directory's path.
    let path: String

    /// Creates a directory whose name starts with `prefix`.
    init(prefix: String) throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) })
        else {
            throw BenchmarkError.system("mkdtemp", errno, base)
        }
        path = String(cString: created)
    }

    /// Removes the directory and the files in it (an LMDB environment and lock files; the
    /// benchmarks make no subdirectories).
    func remove() {
        var names: [String] = []
        if let listing = opendir(path) {
            while let entry = readdir(listing) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    String(cString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." {
                    names.append(name)
                }
            }
            closedir(listing)
        }
        for name in names {
            unlink(path + "/" + name)
        }
        rmdir(path)
    }

    /// The allocated size of the files in the directory, in bytes.
    func diskUsage() -> Int {
        ["data.mdb", "lock.mdb"].reduce(0) { total, name in
            var status = stat()
            guard stat(path + "/" + name, &status) == 0 else {
                return total
            }
            return total + Int(status.st_blocks) * 512
        }
    }
}
