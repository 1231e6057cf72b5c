import Ledger
import Testing

@Suite struct ConcurrencyTests {
    @Test func followingDeliversExistingEventsThenNewOnes() async throws {
        try await withLedger { log, _ in
            try await log.append((1...3).map { observed(.ticket("\($0)")) })
            let received = Collected<Event>()
            let follower = Task {
                for try await event in log.follow(after: .zero) {
                    received.append(event)
                }
            }
            defer { follower.cancel() }

            #expect(await eventually { received.count == 3 })
            try await log.append([observed(.ticket("4"))])
            try await log.append([observed(.ticket("5")), observed(.ticket("6"))])
            #expect(await eventually { received.count == 6 })
            #expect(received.all.sequences == [1, 2, 3, 4, 5, 6])
            #expect(received.all.map { $0.record?.remoteID } == ["1", "2", "3", "4", "5", "6"])

            follower.cancel()
            let ended = Collected<Bool>()
            Task {
                _ = await follower.result
                ended.append(true)
            }
            #expect(await eventually(timeout: .seconds(5)) { ended.count == 1 })
        }
    }

    @Test func followingStartsAfterTheGivenPosition() async throws {
        try await withLedger { log, _ in
            try await log.append((1...4).map { _ in observed(nil) })
            let received = Collected<Event>()
            let follower = Task {
                for try await event in log.follow(after: 2) {
                    received.append(event)
                }
            }
            defer { follower.cancel() }
            #expect(await eventually { received.count == 2 })
            try await log.append([observed(nil)])
            #expect(await eventually { received.count == 3 })
            #expect(received.all.sequences == [3, 4, 5])
        }
    }

    @Test func followingAnEmptyLogWaitsForTheFirstEvent() async throws {
        try await withLedger { log, _ in
            let received = Collected<Event>()
            let follower = Task {
                for try await event in log.follow(after: .zero) {
                    received.append(event)
                }
            }
            defer { follower.cancel() }
            try await Task.sleep(for: .milliseconds(50))
            #expect(received.count == 0)
            try await log.append([observed(nil, id: fixedID(1))])
            #expect(await eventually { received.count == 1 })
            #expect(received.all.first?.id == fixedID(1))
        }
    }

    @Test func concurrentAppendsGetDistinctContiguousPositions() async throws {
        try await withLedger { log, _ in
            let results = try await withThrowingTaskGroup(of: AppendedEvent.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await log.append([
                            observed(.ticket("shared"), id: fixedID(UInt8(index)))
                        ])[0]
                    }
                }
                var results: [AppendedEvent] = []
                for try await result in group {
                    results.append(result)
                }
                return results
            }
            #expect(results.map(\.sequence.rawValue).sorted() == Array(1...16))
            #expect(results.map(\.streamVersion).sorted() == Array(1...16))
            #expect(results.allSatisfy { $0.isNew })
            for result in results {
                let stored = try #require(try log.event(at: result.sequence))
                #expect(stored.id == result.id)
                #expect(stored.streamVersion == result.streamVersion)
            }
        }
    }

    @Test func appendsQueuedWhileTheWriterIsBusyShareOneCommit() async throws {
        let clock = GatedClock()
        try await withLedger(options: options(clock: clock)) { log, _ in
            defer { clock.open() }
            let first = Task { try await log.append([observed(nil, id: fixedID(0))]) }
            try #require(await eventually { clock.readings == 1 })

            // The writer now waits inside its first commit; these all queue behind it.
            let started = Collected<Int>()
            let queued = (1...15).map { index in
                Task {
                    started.append(index)
                    return try await log.append([observed(nil, id: fixedID(UInt8(index)))])
                }
            }
            try #require(await eventually { started.count == 15 })
            try await Task.sleep(for: .milliseconds(300))
            clock.open()

            #expect(try await first.value.map(\.sequence) == [1])
            var sequences: [UInt64] = []
            for task in queued {
                sequences += try await task.value.map(\.sequence.rawValue)
            }
            #expect(sequences.sorted() == Array(2...16))

            let events = try log.read(from: .zero, limit: 100)
            let firstTime = events[0].recordedAt
            let queuedTimes = Set(events.dropFirst().map(\.recordedAt))
            #expect(queuedTimes.count == 1, "queued appends were recorded at \(queuedTimes)")
            #expect(queuedTimes.first.map { $0 > firstTime } == true)
            #expect(clock.readings == 2)
        }
    }
}
