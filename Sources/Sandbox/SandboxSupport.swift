import HTTPServer
import Ledger
import Synchronization

/// Where an emulator's time comes from: the system clock, or one a test moves.
public protocol SandboxClock: Sendable {
    /// The current time.
    func now() -> Timestamp
}

/// The system's clock.
public struct SystemSandboxClock: SandboxClock {
    /// Creates the clock.
    public init() {}

    /// The system's time.
    public func now() -> Timestamp {
        SystemClock().now()
    }
}

/// A clock that stands still until moved: for tests of time windows.
public final class ManualSandboxClock: SandboxClock {
    private let time: Mutex<Timestamp>

    /// A clock showing `start`.
    public init(at start: Timestamp) {
        time = Mutex(start)
    }

    /// The time it shows.
    public func now() -> Timestamp {
        time.withLock { $0 }
    }

    /// Moves the clock on by `seconds`.
    public func advance(seconds: Int64) {
        time.withLock { $0.microseconds += seconds * 1_000_000 }
    }
}

extension Timestamp {
    /// Whole seconds since the Unix epoch, rounded down.
    var unixSeconds: Int64 {
        microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
    }

    /// RFC 3339 to the second, as the providers print times: `2026-12-03T10:00:00Z`.
    var secondsText: String {
        Timestamp(secondsSinceEpoch: unixSeconds).description
    }
}

/// A request budget over fixed windows (a minute, as the providers count them, unless set
/// shorter to benchmark pacing in less time).
final class RateLimiter: Sendable {
    private struct Window {
        var start: Int64 = .min
        var used = 0
    }

    /// Requests allowed per window; 0 turns the limit off.
    let limit: Int
    /// The window's length in seconds.
    let windowSeconds: Int64
    private let window = Mutex(Window())

    init(limit: Int, windowSeconds: Int64 = 60) {
        self.limit = limit
        self.windowSeconds = max(windowSeconds, 1)
    }

    /// What one request learns of the budget.
    struct Decision {
        var allowed: Bool
        var remaining: Int
        /// Seconds until the window resets.
        var resetIn: Int64
    }

    /// Spends one request at `time`, when the budget allows it.
    func spend(at time: Timestamp) -> Decision {
        guard limit > 0 else {
            return Decision(allowed: true, remaining: Int.max, resetIn: 0)
        }
        let second = time.unixSeconds
        let length = windowSeconds
        return window.withLock { window in
            let start = second - ((second % length) + length) % length
            if window.start != start {
                window = Window(start: start, used: 0)
            }
            let resetIn = start + length - second
            guard window.used < limit else {
                return Decision(allowed: false, remaining: 0, resetIn: resetIn)
            }
            window.used += 1
            return Decision(allowed: true, remaining: limit - window.used, resetIn: resetIn)
        }
    }
}

extension RateLimiter.Decision {
    /// The time until the window resets at `now`, as `Retry-After` and `ratelimit-reset` give
    /// it: whole seconds, as the providers count, when a window lasts a minute or more; to the
    /// millisecond when `window` shortens it, so that a wait shrinks with the window instead
    /// of lasting a whole one (a second of a one-second window).
    func secondsToReset(at now: Timestamp, window: Int64) -> String {
        guard window < 60 else {
            return String(resetIn)
        }
        let end = (now.unixSeconds + resetIn) * 1_000_000
        let milliseconds = (max(end - now.microseconds, 0) + 999) / 1_000
        let fraction = String(milliseconds % 1_000)
        return "\(milliseconds / 1_000)." + String(repeating: "0", count: 3 - fraction.count)
            + fraction
    }
}

extension HTTPResponse {
    /// `value` printed as a JSON document.
    static func json(_ value: Value, status: Int = 200) -> HTTPResponse {
        .json(value.json, status: status)
    }
}

extension HTTPRequest {
    /// The body read as a JSON object, or why it is not one.
    func jsonObject() -> Result<ValueObject, BadBody> {
        do {
            guard case .object(let object) = try Value(jsonBytes: body) else {
                return .failure(BadBody(reason: "the body is not a JSON object"))
            }
            return .success(object)
        } catch {
            return .failure(BadBody(reason: "the body is not JSON: \(error)"))
        }
    }
}

/// Why a request body could not be read.
struct BadBody: Error {
    let reason: String
}

/// Adds a route under both spellings the providers accept: with and without `.json`.
extension Router {
    mutating func addBoth(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler)
    {
        add(method, pattern + ".json", handler)
        add(method, pattern, handler)
    }
}
