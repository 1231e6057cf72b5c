import LMDB

/// Which way to read the log.
public enum ReadDirection: Sendable {
    /// From older to newer events.
    case forward
    /// From newer to older events.
    case backward
}

extension EventLog {
    /// The position of the last event, or ``SequenceNumber/zero`` for an empty log.
    public func lastSequence() throws -> SequenceNumber {
        try store.read { try store.lastSequence(in: $0) }
    }

    /// The event at `sequence`, or `nil` when the log has no such position.
    ///
    /// Throws ``LedgerError/Code/corrupt`` when the stored bytes do not decode.
    public func event(at sequence: SequenceNumber) throws -> Event? {
        try store.read { try store.event(at: sequence, in: $0) }
    }

    /// The event with the given id, or `nil` when the log has none.
    public func event(withID id: EventID) throws -> Event? {
        try store.read { transaction in
            guard let sequence = try store.sequence(ofEventID: id, in: transaction) else {
                return nil
            }
            return try store.event(at: sequence, in: transaction)
        }
    }

    /// Up to `limit` events starting at `start` (inclusive), read in `direction`.
    ///
    /// Reading forward from ``SequenceNumber/zero`` starts at the first event; reading
    /// backward from a position past the end starts at the last. An event whose bytes do not
    /// decode fails the whole read; ``scan(from:direction:_:)`` can skip past it instead.
    public func read(
        from start: SequenceNumber, direction: ReadDirection = .forward, limit: Int
    ) throws -> [Event] {
        guard limit > 0 else {
            return []
        }
        var events: [Event] = []
        events.reserveCapacity(min(limit, 4096))
        try scan(from: start, direction: direction) { result in
            events.append(try result.get())
            return events.count < limit
        }
        return events
    }

    /// Calls `body` with each stored event from `start` on, in `direction`, in one read
    /// transaction, until `body` returns `false` or the log ends.
    ///
    /// `body` receives a failure instead of an event for bytes that do not decode, and decides
    /// whether to go on; reading never stops on its own because of one bad event. Keep `body`
    /// short: the transaction holds its snapshot until the scan ends.
    public func scan(
        from start: SequenceNumber,
        direction: ReadDirection = .forward,
        _ body: (Result<Event, LedgerError>) throws -> Bool
    ) throws {
        try store.read { transaction in
            try transaction.withCursor(on: store.events) { cursor in
                guard try Self.position(cursor, at: start, direction: direction) else {
                    return
                }
                var move = Cursor.Move.current
                while true {
                    let keepGoing = try cursor.withEntry(move) { key, value in
                        try body(Self.decode(key: key, value: value))
                    }
                    guard keepGoing == true else {
                        return
                    }
                    move = direction == .forward ? .next : .previous
                }
            }
        }
    }

    /// Calls `body` with each stored event from `start` on, in `direction`, read in place, in
    /// one read transaction, until `body` returns `false` or the log ends.
    ///
    /// This is the fastest way through the log: nothing is copied unless `body` takes it out
    /// of the view, and a body is checked only when taken out (``EventView/body()``). The
    /// view is borrowed for the call and cannot outlive it. An event whose envelope does not
    /// decode ends the scan with its error; ``scan(from:direction:_:)`` can go past one.
    public func scanInPlace(
        from start: SequenceNumber,
        direction: ReadDirection = .forward,
        _ body: (borrowing EventView) throws -> Bool
    ) throws {
        try store.read { transaction in
            try transaction.withCursor(on: store.events) { cursor in
                guard try Self.position(cursor, at: start, direction: direction) else {
                    return
                }
                var move = Cursor.Move.current
                while true {
                    let keepGoing = try cursor.withEntry(move) { key, value in
                        try body(try EventView(key: key, value: value))
                    }
                    guard keepGoing == true else {
                        return
                    }
                    move = direction == .forward ? .next : .previous
                }
            }
        }
    }

    /// Puts the cursor on the first event to read from `start` in `direction`; `false` when
    /// there is none.
    private static func position(
        _ cursor: borrowing Cursor, at start: SequenceNumber, direction: ReadDirection
    ) throws -> Bool {
        let landed = try EventCodec.key(start).withUnsafeBytes { key in
            try cursor.withEntry(atLeast: key) { key, _ in
                EventCodec.sequence(fromKey: key) ?? .zero
            }
        }
        switch (direction, landed) {
        case (.forward, let landed):
            return landed != nil
        case (.backward, let landed?) where landed == start:
            return true
        case (.backward, .some):
            return try cursor.withEntry(.previous) { _, _ in true } ?? false
        case (.backward, nil):
            return try cursor.withEntry(.last) { _, _ in true } ?? false
        }
    }

    /// The last event recorded at or before `time`, or ``SequenceNumber/zero`` when the log
    /// holds none that early.
    ///
    /// Recorded times never go backwards along the log, so this is a binary search: about
    /// forty reads on a log of a trillion events.
    public func lastSequence(recordedAtOrBefore time: Timestamp) throws -> SequenceNumber {
        try store.read { transaction in
            var low: UInt64 = 0
            var high = try store.lastSequence(in: transaction).rawValue
            while low < high {
                let middle = low + (high - low + 1) / 2
                guard let event = try store.event(at: SequenceNumber(middle), in: transaction)
                else {
                    throw LedgerError(.corrupt, "the log has no event \(middle) before its last")
                }
                if event.recordedAt <= time {
                    low = middle
                } else {
                    high = middle - 1
                }
            }
            return SequenceNumber(low)
        }
    }

    /// The events of one record, oldest first, from stream version `fromVersion` (1 is the
    /// record's first event), at most `limit`.
    public func stream(
        of record: RecordReference, fromVersion: UInt64 = 1, limit: Int = .max
    ) throws -> [Event] {
        try record.validate()
        let prefix = EventCodec.streamPrefix(record)
        return try store.read { transaction in
            var events: [Event] = []
            try transaction.withCursor(on: store.streams) { cursor in
                let first = EventCodec.streamKey(prefix: prefix, version: max(fromVersion, 1))
                var sequence =
                    try first.withUnsafeBytes { key in
                        try cursor.withEntry(atLeast: key) { key, value in
                            LogStore.version(inStreamKey: key, prefix: prefix) > 0
                                ? EventCodec.sequence(fromKey: value) : nil
                        }
                    } ?? nil
                while let current = sequence, events.count < limit {
                    guard let event = try store.event(at: current, in: transaction) else {
                        throw LedgerError(
                            .corrupt, "the stream of \(record) names missing event \(current)")
                    }
                    events.append(event)
                    sequence =
                        try cursor.withEntry(.next) { key, value in
                            LogStore.version(inStreamKey: key, prefix: prefix) > 0
                                ? EventCodec.sequence(fromKey: value) : nil
                        } ?? nil
                }
            }
            return events
        }
    }

    /// The number of events in a record's stream: its current version.
    public func streamVersion(of record: RecordReference) throws -> UInt64 {
        try record.validate()
        return try store.read { transaction in
            try store.streamVersion(prefix: EventCodec.streamPrefix(record), in: transaction)
        }
    }

    static func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
        -> Result<Event, LedgerError>
    {
        Result { () throws(LedgerError) in try EventView(key: key, value: value).event() }
    }
}
