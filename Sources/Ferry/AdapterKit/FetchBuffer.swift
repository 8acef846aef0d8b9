/// Messages fetched in a batch and handed out one at a time, in order. Taking the first costs
/// O(1), where `Array.removeFirst` moves every message behind it.
package struct FetchBuffer<Element: Sendable>: Sendable {
    private var items: [Element] = []
    private var head = 0

    package init() {}

    package var isEmpty: Bool { head == items.count }

    package mutating func append(contentsOf batch: [Element]) {
        if isEmpty {
            items = batch
            head = 0
        } else {
            if head > items.count / 2 {
                items.removeFirst(head)
                head = 0
            }
            items += batch
        }
    }

    package mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        defer { head += 1 }
        return items[head]
    }
}
