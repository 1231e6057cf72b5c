/// Character references: the common named ones and numeric ones in decimal or hexadecimal.
extension HTMLText {
    /// The named references decoded; others stay as written.
    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "bull": "•", "middot": "·",
        "laquo": "«", "raquo": "»", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢",
        "deg": "°", "times": "×", "divide": "÷", "sect": "§", "para": "¶",
    ]

    /// Decodes the reference at the `&` at `start`, or keeps the `&` as text when none is
    /// there; returns where reading goes on.
    mutating func entity(at start: Int) -> Int {
        var index = start + 1
        var scalar: Unicode.Scalar?
        var decoded: String?
        if index < bytes.count && bytes[index] == .hash {
            index += 1
            let hexadecimal = index < bytes.count && bytes[index] | 0x20 == UInt8(ascii: "x")
            if hexadecimal {
                index += 1
            }
            let digitsStart = index
            var value: UInt32 = 0
            while index < bytes.count, index - digitsStart < 8,
                let digit = Self.digit(bytes[index], hexadecimal: hexadecimal)
            {
                value = value * (hexadecimal ? 16 : 10) + digit
                index += 1
            }
            if index > digitsStart {
                // NUL, surrogates and numbers past Unicode's range read as U+FFFD.
                scalar = value == 0 ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}"
            }
        } else {
            let nameStart = index
            while index < bytes.count && index - nameStart < 10 && bytes[index].isWordByte
                && bytes[index] < 0x80
            {
                index += 1
            }
            decoded =
                Self.namedEntities[
                    String(
                        decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<index]),
                        as: UTF8.self)]
        }
        guard index < bytes.count, bytes[index] == .semicolon, scalar != nil || decoded != nil
        else {
            emit(CollectionOfOne(UInt8.ampersand))
            return start + 1
        }
        if let scalar {
            emit(String(Character(scalar)).utf8)
        } else if let decoded {
            emit(decoded.utf8)
        }
        return index + 1
    }

    private static func digit(_ byte: UInt8, hexadecimal: Bool) -> UInt32? {
        if byte.isDigit {
            return UInt32(byte - UInt8(ascii: "0"))
        }
        let lowered = byte | 0x20
        if hexadecimal && lowered >= UInt8(ascii: "a") && lowered <= UInt8(ascii: "f") {
            return UInt32(lowered - UInt8(ascii: "a") + 10)
        }
        return nil
    }
}
