import Ledger
import Synchronization

extension AppendCase {
    /// Appends single events from concurrent tasks to a fresh ledger, each append waiting for
    /// its commit, and returns events per second.
    ///
    /// Appends that arrive while a commit syncs share the next commit, so the callers together
    /// pay for far fewer syncs than events.
    static func measureGroupCommit(_ settings: Settings) async throws -> Double {
        let directory = try TemporaryDirectory(prefix: "syncledger-bench-durable")
        defer { directory.remove() }
        let log = try EventLog.open(at: directory.path)
        defer { log.close() }

        let eventsPerCaller = settings.durableEventCount / settings.durableCallers
        let work = callerEvents(settings, eventsPerCaller: eventsPerCaller)
        let (_, duration) = try await measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for events in work {
                    group.addTask {
                        for event in events {
                            try await log.append(AppendBatch([event]))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let count = eventsPerCaller * settings.durableCallers
        let last = try log.lastSequence()
        guard last.rawValue == UInt64(count) else {
            throw BenchmarkError("the durable ledger holds \(last) events, not \(count)")
        }
        report(
            "  group commit: \(count) single-event appends from \(settings.durableCallers) "
                + "tasks in \(fixed(duration.seconds, decimals: 2)) s")
        return eventsPerSecond(count, duration)
    }

    /// Writes single events from concurrent threads straight to liblmdb, one durable write
    /// transaction (and so one sync) per event, and returns events per second.
    static func measureOneSyncPerEvent(_ settings: Settings) throws -> Double {
        let directory = try TemporaryDirectory(prefix: "syncledger-bench-fsync")
        defer { directory.remove() }
        let environment = try RawEnvironment(
            directory: directory.path, mapSize: 1 << 30, create: true)
        let encoder = SharedEncoder()

        let eventsPerCaller = settings.durableEventCount / settings.durableCallers
        let work = callerEvents(settings, eventsPerCaller: eventsPerCaller)
        let (_, duration) = try measure {
            let threads = try work.map { events in
                try SystemThread {
                    for event in events {
                        try environment.writeOne(event, encoder: encoder.encoder)
                    }
                }
            }
            for thread in threads {
                try thread.join()
            }
        }
        let count = eventsPerCaller * settings.durableCallers
        let stored = try environment.scanEvents().count
        guard stored == count else {
            throw BenchmarkError("the durable raw store holds \(stored) events, not \(count)")
        }
        report(
            "  one fsync per event: \(count) single-event transactions from "
                + "\(settings.durableCallers) threads in \(fixed(duration.seconds, decimals: 2)) s")
        return eventsPerSecond(count, duration)
    }

    /// The events each caller appends, made before timing starts; callers start at records
    /// spread evenly over the record range.
    private static func callerEvents(_ settings: Settings, eventsPerCaller: Int) -> [[NewEvent]] {
        (0..<settings.durableCallers).map { caller in
            var source = TicketEvents(
                seed: settings.seed &+ UInt64(caller + 1), recordCount: settings.recordCount,
                firstTicket: 1 + caller * settings.recordCount / settings.durableCallers)
            return source.next(eventsPerCaller)
        }
    }
}

/// The raw baseline's encoder, shared by the writing threads; each uses it only inside its
/// write transaction, which LMDB lets one thread hold at a time.
private final class SharedEncoder: Sendable {
    let encoder = Mutex(RawEventEncoder())
}
