import Synchronization
import Testing

@testable import Engine

/// How the engine runs work side by side: results in order, and a failure that stops new work
/// without cancelling the work under way.
@Suite("Running work side by side")
struct ConcurrentlyTests {
    struct Refused: Error {}

    @Test func resultsComeInTheItemsOrder() async throws {
        let results = try await SyncEngine.concurrently(Array(0..<20), width: 3) { item in
            try await Task.sleep(for: .milliseconds((20 - item) % 4))
            return item * 2
        }
        #expect(results == (0..<20).map { $0 * 2 })
    }

    @Test func aFailureStartsNothingNewAndLetsWorkUnderWayFinish() async throws {
        let finished = Mutex<[Int]>([])
        let started = Mutex<[Int]>([])
        await #expect(throws: Refused.self) {
            _ = try await SyncEngine.concurrently(Array(0..<10), width: 2) { item in
                started.withLock { $0.append(item) }
                if item == 1 {
                    throw Refused()
                }
                // Item 0 is under way when item 1 fails; it is not cancelled.
                try await Task.sleep(for: .milliseconds(200))
                finished.withLock { $0.append(item) }
                return item
            }
        }
        #expect(finished.withLock { $0 } == [0])
        #expect(started.withLock { $0 }.sorted() == [0, 1])
    }
}
