import Glibc
import Ledger
import Testing

@Suite struct DecimalNumberTests {
    @Test(
        arguments: [
            ("12.50", "12.5"),
            ("1e3", "1000.0"),
            ("-0.030", "-0.03"),
            ("0", "0.0"),
            ("-0", "0.0"),
            ("0.000", "0.0"),
            ("0e10", "0.0"),
            ("100", "100.0"),
            ("0.1", "0.1"),
            ("1.5E+2", "150.0"),
            ("1.5e-2", "0.015"),
            ("-12.345e1", "-123.45"),
            ("123456789012345678", "123456789012345678.0"),
            ("1000000000000000000000", "1000000000000000000000.0"),
            ("0.1e65", "1" + String(repeating: "0", count: 64) + ".0"),
            ("1e-64", "0." + String(repeating: "0", count: 63) + "1"),
        ])
    func parsesAndPrintsInPlainNotation(_ text: String, _ printed: String) throws {
        let number = try #require(DecimalNumber(Substring(text)))
        #expect(number.description == printed)
        #expect(DecimalNumber(Substring(printed)) == number)
    }

    @Test(
        arguments: [
            ("12.50", 125, -1),
            ("1e3", 1, 3),
            ("-0.030", -3, -2),
            ("0", 0, 0),
            ("0.000e-5", 0, 0),
            ("1500", 15, 2),
        ] as [(String, Int64, Int32)])
    func parsingNormalisesTheSignificandAndExponent(_ expected: (String, Int64, Int32)) throws {
        let (text, significand, exponent) = expected
        let number = try #require(DecimalNumber(Substring(text)))
        #expect(number.significand == significand)
        #expect(number.exponent == exponent)
    }

    @Test func numbersEqualInValueAreEqual() {
        #expect(DecimalNumber("1.50") == DecimalNumber("1.5"))
        #expect(DecimalNumber("150e-2") == DecimalNumber("1.5"))
        #expect(DecimalNumber(significand: 1500, exponent: -3) == DecimalNumber("1.5"))
        #expect(DecimalNumber(significand: 0, exponent: 7) == DecimalNumber("0"))
        #expect(DecimalNumber("1.5") != DecimalNumber("1.05"))
    }

    @Test(
        arguments: [
            "", "-", ".", "abc", "1.2.3", "1e", "1e+", "e5", "1 ", " 1", "1,5", "0x10", "--1",
            "12345678901234567891", "0.12345678901234567891", "1e65", "1e-65", "10e64",
            "1.0e65", "1e99999999999",
        ])
    func refusesWhatIsNotAnExactNumberInRange(_ text: String) {
        #expect(DecimalNumber(Substring(text)) == nil)
    }

    @Test func refusesExponentsBeyondTheLimitWhenMadeFromParts() {
        #expect(DecimalNumber.exponentLimit == 64)
        #expect(DecimalNumber(significand: 1, exponent: 65) == nil)
        #expect(DecimalNumber(significand: 1, exponent: -65) == nil)
        #expect(DecimalNumber(significand: 10, exponent: 64) == nil)
        #expect(DecimalNumber(significand: 10, exponent: -65)?.exponent == -64)
    }

    @Test func aHugeNegativeExponentIsRefusedNotACrash() async {
        await #expect(processExitsWith: .success) {
            exit(DecimalNumber("1e-2147483648") == nil ? 0 : 1)
        }
    }

    @Test func anExponentThatOverflowsOnceTrailingZerosMoveIsRefusedNotACrash() async {
        await #expect(processExitsWith: .success) {
            exit(DecimalNumber("10e2147483647") == nil ? 0 : 1)
        }
    }
}
