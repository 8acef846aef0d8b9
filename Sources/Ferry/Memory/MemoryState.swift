import Foundation

/// Everything the in-memory backend knows, changed only under one lock. Each operation
/// returns what the caller must do outside the lock (resume waiters).
struct MemoryState: Sendable {
    struct Member: Sendable {
        var topic: String
        var group: String
        var prefetch: Int
        var closed = false
        /// Hands out nothing more, but has not left: what it holds can still be settled.
        var stopped = false
    }

    enum Take {
        case record(MemoryRecord, partition: Int, offset: Int, attempt: Int, firstFailure: Int64?)
        /// Nothing to hand out: wait for a change after `generation`, or until `until`.
        case wait(generation: Int, until: ContinuousClock.Instant?)
        case closed
    }

    typealias Wakeups = [CheckedContinuation<Void, Never>]

    var topics: [String: MemoryTopic] = [:]
    var members: [Int: Member] = [:]
    var nextMemberID = 1

    mutating func ensureTopic(_ name: String, partitions: Int) {
        if topics[name] == nil { topics[name] = MemoryTopic(partitions: partitions) }
    }

    mutating func append(_ record: MemoryRecord, to name: String, partitions: Int) -> (Position, Wakeups) {
        ensureTopic(name, partitions: partitions)
        let partition: Int
        if let keyed = topics[name]!.partition(for: record.key) {
            partition = keyed
        } else {
            partition = topics[name]!.roundRobin % topics[name]!.partitions.count
            topics[name]!.roundRobin += 1
        }
        topics[name]!.partitions[partition].append(record)
        let offset = topics[name]!.partitions[partition].count - 1
        return (Position(destination: name, partition: partition, offset: String(offset)), topics[name]!.bump())
    }

    mutating func join(topic name: String, partitions: Int, options: SubscribeOptions) throws(FerryError) -> (Int, Wakeups) {
        ensureTopic(name, partitions: partitions)
        let topic = topics[name]!
        if topic.groups[options.group] == nil {
            var starts: [Int] = []
            for partition in topic.partitions.indices { starts.append(try topic.offset(of: partition, at: options.start)) }
            topics[name]!.groups[options.group] = MemoryGroup(starts: starts)
        }
        let id = nextMemberID
        nextMemberID += 1
        members[id] = Member(topic: name, group: options.group, prefetch: options.prefetch)
        topics[name]!.groups[options.group]!.members.append(id)
        return (id, topics[name]!.bump())
    }

    mutating func leave(_ member: Int) -> Wakeups {
        guard var entry = members[member], !entry.closed else { return [] }
        entry.closed = true
        members[member] = entry
        topics[entry.topic]!.groups[entry.group]!.leave(member)
        var wakeups = topics[entry.topic]!.bump()
        if let own = topics[entry.topic]!.waiters.removeValue(forKey: member) { wakeups.append(own) }
        return wakeups
    }

    /// Stops handing out to `member`; wakes it if it waits.
    mutating func stop(_ member: Int) -> Wakeups {
        guard let entry = members[member] else { return [] }
        members[member]!.stopped = true
        return topics[entry.topic]!.waiters.removeValue(forKey: member).map { [$0] } ?? []
    }

    mutating func take(_ member: Int, now: ContinuousClock.Instant) -> Take {
        guard let entry = members[member], !entry.closed, !entry.stopped else { return .closed }
        var topic = topics[entry.topic]!
        defer { topics[entry.topic] = topic }
        var group = topic.groups[entry.group]!
        defer { topic.groups[entry.group] = group }
        guard group.inflightCount[member, default: 0] < entry.prefetch else {
            return .wait(generation: topic.generation, until: nil)
        }
        func handOut(_ partition: Int, _ offset: Int) -> Take {
            let attempt = group.cursors[partition].handOut(offset, to: member)
            group.inflightCount[member, default: 0] += 1
            return .record(
                topic.partitions[partition][offset], partition: partition, offset: offset, attempt: attempt,
                firstFailure: group.cursors[partition].firstFailure[offset])
        }
        var earliest: ContinuousClock.Instant?
        if let due = group.retries.indices.filter({ group.owns(group.retries[$0].partition, member) })
            .min(by: { group.retries[$0].due < group.retries[$1].due })
        {
            let retry = group.retries[due]
            if retry.due <= now {
                group.retries.remove(at: due)
                return handOut(retry.partition, retry.offset)
            }
            earliest = retry.due
        }
        for p in group.cursors.indices where group.owns(p, member) {
            if !group.cursors[p].ready.isEmpty {
                return handOut(p, group.cursors[p].ready.removeFirst())
            }
        }
        for p in group.cursors.indices where group.owns(p, member) {
            let next = group.cursors[p].next
            if next < topic.partitions[p].count {
                group.cursors[p].next += 1
                return handOut(p, next)
            }
        }
        return .wait(generation: topic.generation, until: earliest)
    }

    /// Parks a waiting member unless something changed since `generation`; false means go again.
    mutating func park(_ member: Int, generation: Int, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard let entry = members[member], !entry.closed, !entry.stopped, topics[entry.topic]!.generation == generation else {
            return false
        }
        topics[entry.topic]!.waiters[member] = continuation
        return true
    }

    /// A retry fell due: everyone waiting on `name` looks again.
    mutating func wake(topic name: String) -> Wakeups {
        topics[name]?.bump() ?? []
    }

    mutating func unpark(_ member: Int) -> CheckedContinuation<Void, Never>? {
        guard let entry = members[member] else { return nil }
        return topics[entry.topic]!.waiters.removeValue(forKey: member)
    }

    mutating func ack(member: Int, partition: Int, offset: Int) -> Wakeups {
        guard let (name, group) = place(of: member) else { return [] }
        _ = topics[name]!.groups[group]!.settle(partition: partition, offset: offset)
        return topics[name]!.bump()
    }

    mutating func retry(
        member: Int, partition: Int, offset: Int, due: ContinuousClock.Instant, attempt: Int, firstFailure: Int64
    ) -> Wakeups {
        guard let (name, group) = place(of: member), offset >= topics[name]!.groups[group]!.cursors[partition].committed,
            !topics[name]!.groups[group]!.cursors[partition].settled.contains(offset)
        else { return [] }
        topics[name]!.groups[group]!.scheduleRetry(
            partition: partition, offset: offset, due: due, attempt: attempt, firstFailure: firstFailure)
        return topics[name]!.bump()
    }

    /// Copies the record to `dlq` with `headers` added, then settles it: both or neither.
    mutating func deadLetter(
        member: Int, partition: Int, offset: Int, to dlq: String, partitions: Int, headers: [String: String], now: Int64
    ) -> Wakeups {
        guard let (name, group) = place(of: member) else { return [] }
        let cursor = topics[name]!.groups[group]!.cursors[partition]
        guard offset >= cursor.committed, !cursor.settled.contains(offset) else { return [] }
        var letter = topics[name]!.partitions[partition][offset]
        letter.headers.merge(headers) { $1 }
        letter.timeMicros = now
        var wakeups = append(letter, to: dlq, partitions: partitions).1
        _ = topics[name]!.groups[group]!.settle(partition: partition, offset: offset)
        wakeups += topics[name]!.bump()
        return wakeups
    }

    /// The topic and group of `member`: a member settles only there.
    private func place(of member: Int) -> (topic: String, group: String)? {
        members[member].map { ($0.topic, $0.group) }
    }

    /// The records `group` has not settled, per partition in offset order.
    func unsettled(topic name: String, group: String) -> [(partition: Int, offset: Int, record: MemoryRecord)] {
        guard let topic = topics[name] else { return [] }
        return topic.partitions.indices.flatMap { p in
            let cursor = topic.groups[group]?.cursors[p] ?? MemoryCursor(start: 0)
            return (cursor.committed..<topic.partitions[p].count).filter { !cursor.settled.contains($0) }.map {
                (p, $0, topic.partitions[p][$0])
            }
        }
    }

    /// Each partition's records from `start` on, as they are now.
    func history(topic name: String, from start: SubscribeOptions.Start) throws(FerryError) -> [(
        partition: Int, offset: Int, record: MemoryRecord
    )] {
        guard let topic = topics[name] else { return [] }
        var out: [(Int, Int, MemoryRecord)] = []
        for p in topic.partitions.indices {
            for offset in try topic.offset(of: p, at: start)..<topic.partitions[p].count {
                out.append((p, offset, topic.partitions[p][offset]))
            }
        }
        return out
    }

    func lag(topic name: String, group: String) -> [LagEntry] {
        guard let topic = topics[name] else { return [] }
        return topic.partitions.indices.map { p in
            let cursor = topic.groups[group]?.cursors[p] ?? MemoryCursor(start: 0)
            return LagEntry(
                scope: "\(name)/\(p)", lag: topic.partitions[p].count - cursor.committed, pending: cursor.inflight.count)
        }
    }
}
