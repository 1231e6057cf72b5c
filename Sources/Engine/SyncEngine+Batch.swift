import Connectors
import Ledger
import Mapping
import Reconcile
import Synchronization

extension SyncEngine {
    /// How a large round's writes are made: in chunks per connection, each chunk's intents
    /// appended in one batch before its calls and its outcomes in one batch after, with the
    /// providers' bulk endpoints where they have them, and several calls under way at once.
    ///
    /// Every connection's writes go at the same time as the others'; each connection's rate
    /// budget paces its own requests.
    public struct Batching: Sendable, Hashable {
        /// Rounds with fewer writes than this make them one at a time, each answer settling
        /// its record at once. Defaults to 10.
        public var minimumWrites = 10
        /// The most writes of one connection recorded together. Defaults to 100 (Zendesk's
        /// `update_many`); Jira's bulk create takes 50, so creates there go 50 at a time.
        public var chunkSize = 100
        /// Chunks of one connection under way at once. Defaults to 3.
        public var chunksInFlight = 3
        /// Requests one chunk has under way at once. Defaults to 4.
        public var requestsInFlight = 4

        /// The defaults.
        public init() {}
    }

    /// What a batch of writes came to.
    struct BatchTally: Sendable {
        var created = 0
        var updated = 0
        var failed = 0
        var leftInDoubt = 0
        /// Writes not attempted because their connection is paused.
        var deferred = 0

        static func + (left: BatchTally, right: BatchTally) -> BatchTally {
            BatchTally(
                created: left.created + right.created, updated: left.updated + right.updated,
                failed: left.failed + right.failed,
                leftInDoubt: left.leftInDoubt + right.leftInDoubt,
                deferred: left.deferred + right.deferred)
        }
    }

    /// How one write of a chunk ended.
    enum ChunkResult: Sendable {
        /// The record was created; the events the provider's answer gave, if any.
        case created(RecordReference, [NewEvent])
        /// The record was updated; the events the provider's answer gave, if any.
        case updated([NewEvent])
        /// The provider refused it, or it was not made, for this reason; with the record as
        /// read again when a person had changed it (see ``ConcurrentEdit``).
        case failed(String, observed: [NewEvent] = [])
        /// The call got no answer: the intent stays without an outcome for recovery.
        case inDoubt
    }

    /// Makes a round's writes in batches: each connection's at once, in chunks.
    func performBatched(_ writes: [PlannedWrite]) async throws -> BatchTally {
        var order: [Connection] = []
        var byConnection: [String: [PlannedWrite]] = [:]
        for write in writes {
            let name =
                write.intent.operation == .create
                ? write.intent.target?.connection : write.record.connection
            guard let name, let connection = configuration.connection(named: name) else {
                throw EngineError("a write for \(write.record) names no configured connection")
            }
            if byConnection[name] == nil {
                order.append(connection)
            }
            byConnection[name, default: []].append(write)
        }
        let groups = order.map { ($0, byConnection[$0.name] ?? []) }
        let tallies = try await Self.concurrently(groups, width: groups.count) {
            connection, writes in
            try await self.performBatched(writes, on: connection)
        }
        return tallies.reduce(BatchTally(), +)
    }

    /// Makes one connection's writes, creates before updates, in chunks.
    private func performBatched(_ writes: [PlannedWrite], on connection: Connection)
        async throws -> BatchTally
    {
        let creates = writes.filter { $0.intent.operation == .create }
        let updates = writes.filter { $0.intent.operation == .update }
        let createSize =
            connection.provider == .jira ? min(batching.chunkSize, 50) : batching.chunkSize
        let chunks =
            Self.chunked(creates, size: createSize)
            + Self.chunked(updates, size: batching.chunkSize)
        let tallies = try await Self.concurrently(chunks, width: batching.chunksInFlight) {
            chunk in
            try await self.performChunk(chunk, on: connection)
        }
        return tallies.reduce(BatchTally(), +)
    }

    /// Records the intents of `chunk` (writes of one kind to one connection) in one batch,
    /// makes the calls, and records every outcome in one batch: a created record's outcome
    /// and link together, so neither is ever found without the other.
    ///
    /// A chunk whose connection is paused is not recorded at all: its writes are deferred and
    /// planned again once the connection is authorised.
    private func performChunk(_ chunk: [PlannedWrite], on connection: Connection)
        async throws -> BatchTally
    {
        guard !guards.isPaused(connection.name) else {
            return BatchTally(deferred: chunk.count)
        }
        let intents = try await log.append(
            AppendBatch(chunk.map { $0.intent.event($0.record) })
        ).map(\.sequence)

        let results: [ChunkResult]
        switch (connection.provider, chunk[0].intent.operation) {
        case (.jira, .create):
            results = try await createIssues(chunk, on: connection)
        case (.jira, .update):
            let jira = try connections.jira(connection)
            results = try await Self.concurrently(chunk, width: batching.requestsInFlight) {
                write in
                try await settled(on: connection) {
                    .updated([
                        try await jira.update(
                            write.record.remoteID, write.intent.fields, workflow: workflow)
                    ])
                }
            }
        case (.zendesk, .create):
            let zendesk = try connections.zendesk(connection)
            results = try await Self.concurrently(chunk, width: batching.requestsInFlight) {
                write in
                try await settled(on: connection) {
                    let (record, events) = try await zendesk.create(
                        write.intent.fields, idempotencyKey: write.intent.idempotencyKey)
                    return .created(record, events)
                }
            }
        case (.zendesk, .update):
            results = try await updateTickets(chunk, on: connection)
        }

        var events: [NewEvent] = []
        var tally = BatchTally()
        for (index, write) in chunk.enumerated() {
            let intent = intents[index]
            switch results[index] {
            case .created(let record, let answered):
                events.append(
                    WriteOutcome.succeeded(intent: intent, created: record).event(write.record))
                events.append(
                    LinkChange(pair: write.intent.pair, counterpart: record).event(write.record))
                events += answered
                tally.created += 1
            case .updated(let answered):
                events.append(WriteOutcome.succeeded(intent: intent).event(write.record))
                events += answered
                tally.updated += 1
            case .failed(let error, let observed):
                events.append(
                    WriteOutcome.failed(intent: intent, error: error).event(write.record))
                events += observed
                tally.failed += 1
            case .inDoubt:
                tally.leftInDoubt += 1
            }
        }
        if !events.isEmpty {
            _ = try await log.append(AppendBatch(events))
        }
        // The projections follow while other chunks wait on their budgets, so the next
        // round's plan has little left to apply.
        if catchingUp.enter() {
            defer { catchingUp.leave() }
            try catchUp()
        }
        return tally
    }

    /// Creates a chunk's issues in one bulk request, each then moved to its status, and reads
    /// them back in one search: each one's observation is its create's answer.
    ///
    /// The bulk answer says, element by element, which issues were made. A request that got
    /// no answer at all may have made every issue or none, and an issue made but not moved is
    /// not yet what the intent asked for: their intents are left for recovery, which looks
    /// each issue up by its source reference and finishes its move. When the read fails, the
    /// next poll observes the new issues instead.
    private func createIssues(_ chunk: [PlannedWrite], on connection: Connection)
        async throws -> [ChunkResult]
    {
        let jira = try connections.jira(connection)
        let (workflow, movesInFlight) = (self.workflow, batching.requestsInFlight)
        do {
            let made = try await guarded(connection.name) {
                try await jira.createMany(
                    chunk.map(\.intent.fields), workflow: workflow, movesInFlight: movesInFlight)
            }
            var keys: [String] = []
            for case .created(let key) in made {
                keys.append(key)
            }
            let answered = try await Self.byRemoteID {
                try await jira.issues(keys, source: "writeResponse").found
            }
            return made.map { result in
                switch result {
                case .created(let key):
                    .created(
                        RecordReference(
                            connection: connection.name, recordType: "issue", remoteID: key),
                        answered[key].map { [$0] } ?? [])
                case .notMoved:
                    .inDoubt
                case .refused(let error):
                    .failed(error.description)
                }
            }
        } catch let error as ConnectorError {
            let result: ChunkResult =
                error.lastStatus == nil ? .inDoubt : .failed(error.description)
            return Array(repeating: result, count: chunk.count)
        } catch let needed as NeedsReauthorization {
            return Array(repeating: .failed(needed.description), count: chunk.count)
        }
    }

    /// Updates a chunk of tickets: in one `update_many` job, or with one request when the
    /// chunk holds a single ticket, whose answer is then its observation.
    ///
    /// Every ticket's update is a safe one, as ``guardedUpdate(_:in:)`` makes it: a ticket
    /// the job refuses because a person changed it meanwhile is settled on its own, by reading
    /// it again.
    private func updateTickets(_ chunk: [PlannedWrite], on connection: Connection)
        async throws -> [ChunkResult]
    {
        let zendesk = try connections.zendesk(connection)
        guard chunk.count > 1 else {
            let write = chunk[0]
            return [
                try await settled(on: connection) {
                    .updated(try await guardedUpdate(write, in: zendesk))
                }
            ]
        }
        let updates = try chunk.map { write in
            ZendeskConnector.TicketUpdate(
                write.record.remoteID, write.intent.fields,
                unchangedSince: try updateStamp(of: write))
        }
        let done: [ZendeskConnector.TicketUpdateOutcome]
        do {
            done = try await guarded(connection.name) { try await zendesk.updateMany(updates) }
        } catch let error as any Error & CustomStringConvertible
            where error is ConnectorError || error is NeedsReauthorization
        {
            return Array(repeating: .failed(error.description), count: chunk.count)
        }
        let updated = zip(chunk, done).compactMap { write, outcome -> String? in
            guard case .updated = outcome else {
                return nil
            }
            return write.record.remoteID
        }
        let answered = try await readBack(updated, from: zendesk)
        var results: [ChunkResult] = []
        for (write, outcome) in zip(chunk, done) {
            switch outcome {
            case .updated:
                results.append(.updated(answered[write.record.remoteID].map { [$0] } ?? []))
            case .refused(let error):
                results.append(.failed(error.description))
            case .collided(let collision):
                results.append(
                    try await settled(on: connection) {
                        .updated(try await updateAfterCollision(write, collision, in: zendesk))
                    })
            }
        }
        return results
    }

    /// The tickets with `ids`, which a job updated, read back in one `show_many` request per
    /// 100 and keyed by id: each one's observation is its update's answer, as a single update's
    /// would be. The job's results hold no tickets, and without this the ledger would know
    /// neither the values written nor the tickets' new times (the next safe update's stamp)
    /// until a poll brought them.
    private func readBack(_ ids: [String], from zendesk: ZendeskConnector) async throws
        -> [String: NewEvent]
    {
        guard !ids.isEmpty else {
            return [:]
        }
        return try await Self.byRemoteID {
            try await zendesk.tickets(ids, source: "writeResponse")
        }
    }

    /// The observations `read` gives back after a batch's writes, keyed by their records'
    /// remote ids; none when the provider refuses the read, which leaves the records to the
    /// next poll.
    private static func byRemoteID(_ read: () async throws -> [NewEvent]) async throws
        -> [String: NewEvent]
    {
        var answered: [String: NewEvent] = [:]
        do {
            for event in try await read() {
                answered[event.record?.remoteID ?? ""] = event
            }
        } catch is ConnectorError {
            return [:]
        }
        return answered
    }

    /// What `call` made of one write, made through `connection`'s guard: its result, or why it
    /// was not made as a failure (the provider's refusal, a collision with a person's edit, the
    /// authorisation found gone). Other errors (the log's, a cancellation) are thrown: they
    /// stop the pass.
    private func settled(
        on connection: Connection, _ call: @escaping @Sendable () async throws -> ChunkResult
    ) async throws -> ChunkResult {
        do {
            return try await guarded(connection.name, call)
        } catch let edit as ConcurrentEdit {
            return .failed(edit.description, observed: [edit.observation])
        } catch let error as any Error & CustomStringConvertible
            where error is ConnectorError || error is ConcurrentChange
            || error is NeedsReauthorization
        {
            return .failed(error.description)
        }
    }

    /// `items` in consecutive runs of at most `size`.
    static func chunked<Item>(_ items: [Item], size: Int) -> [[Item]] {
        stride(from: 0, to: items.count, by: max(size, 1)).map {
            Array(items[$0..<min($0 + max(size, 1), items.count)])
        }
    }

    /// `body` applied to each of `items`, at most `width` at once; the results in the items'
    /// order.
    ///
    /// After the first error no new item is started, the ones under way run to their end, and
    /// then the error is thrown. They are not cancelled: cancelling a task while URLSession
    /// starts a request for it can crash FoundationNetworking on Linux.
    static func concurrently<Item: Sendable, Output: Sendable>(
        _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) async throws -> Output
    ) async throws -> [Output] {
        let outcome = await withTaskGroup(of: (Int, Result<Output, any Error>).self) { group in
            var results = [Output?](repeating: nil, count: items.count)
            var firstError: (any Error)?
            var next = 0
            func start() {
                guard next < items.count, firstError == nil else {
                    return
                }
                let index = next
                next += 1
                group.addTask {
                    do {
                        return (index, .success(try await body(items[index])))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            for _ in 0..<max(width, 1) {
                start()
            }
            while let (index, result) = await group.next() {
                switch result {
                case .success(let output): results[index] = output
                case .failure(let error): firstError = firstError ?? error
                }
                start()
            }
            if let firstError {
                return Result<[Output], any Error>.failure(firstError)
            }
            return .success(results.map { $0! })
        }
        return try outcome.get()
    }
}

/// A flag one task at a time may hold; the others go on without waiting.
final class Gate: Sendable {
    private let held = Mutex(false)

    /// Takes the gate; `false` when another task holds it.
    func enter() -> Bool {
        held.withLock { held in
            guard !held else {
                return false
            }
            held = true
            return true
        }
    }

    /// Gives the gate back.
    func leave() {
        held.withLock { $0 = false }
    }
}
