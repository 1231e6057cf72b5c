/// The nearest known word to a misspelt one, for "did you mean" hints.
public enum Suggestion {
    /// The candidate closest to `word` by edit distance, ignoring case, when it is close
    /// enough to be a likely typo: two edits, or a quarter of the word's length if more.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let lowered = Array(word.lowercased())
        let scored = candidates.map { ($0, distance(lowered, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 4)
        else {
            return nil
        }
        return best.0
    }

    /// The Levenshtein distance between two words.
    static func distance(_ left: [Character], _ right: [Character]) -> Int {
        var previous = Array(0...right.count)
        var current = previous
        for (i, x) in left.enumerated() {
            current[0] = i + 1
            for (j, y) in right.enumerated() {
                current[j + 1] = min(
                    previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[right.count]
    }
}
