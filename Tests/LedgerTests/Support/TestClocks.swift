import Dispatch
import Ledger
import Synchronization

/// A clock a test sets: each reading returns the current time, then moves it on by `step`.
final class TestClock: LedgerClock {
    private struct State {
        var next: Timestamp
        var step: Int64
        var readings: [Timestamp] = []
    }

    private let state: Mutex<State>

    init(at start: Timestamp, step: Int64 = 1_000_000) {
        state = Mutex(State(next: start, step: step))
    }

    func now() -> Timestamp {
        state.withLock { state in
            let time = state.next
            state.next.microseconds += state.step
            state.readings.append(time)
            return time
        }
    }

    /// Makes the next reading return `time`.
    func set(_ time: Timestamp) {
        state.withLock { $0.next = time }
    }

    /// Every time the clock has returned, in order.
    var readings: [Timestamp] {
        state.withLock { $0.readings }
    }
}

/// A clock whose first reading waits until ``open()``, which lets a test keep the log's
/// writer busy inside a commit. Every reading returns a different time, so events that share a
/// recorded time were committed together.
final class GatedClock: LedgerClock {
    static let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    private let gate = DispatchSemaphore(value: 0)
    private let readingCount = Mutex(0)

    func now() -> Timestamp {
        let reading = readingCount.withLock { count in
            count += 1
            return count
        }
        if reading == 1 {
            // Bounded, so that a failing test cannot leave the writer stuck for ever.
            _ = gate.wait(timeout: .now() + 30)
        }
        return Timestamp(microsecondsSinceEpoch: Self.start.microseconds + Int64(reading) * 1000)
    }

    /// How many times the clock has been read.
    var readings: Int {
        readingCount.withLock { $0 }
    }

    /// Lets the first reading return.
    func open() {
        gate.signal()
    }
}

/// Values collected from concurrent tasks.
final class Collected<Element: Sendable>: Sendable {
    private let elements = Mutex<[Element]>([])

    func append(_ element: Element) {
        elements.withLock { $0.append(element) }
    }

    var all: [Element] {
        elements.withLock { $0 }
    }

    var count: Int {
        elements.withLock { $0.count }
    }
}

/// Waits until `condition` holds, checking every few milliseconds, for at most `timeout`.
/// Returns whether it held.
func eventually(
    timeout: Duration = .seconds(60), _ condition: () throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() {
            return true
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}

/// A small, fast generator with a fixed seed (SplitMix64), so that randomised tests repeat.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
