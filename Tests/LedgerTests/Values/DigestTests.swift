import Foundation
import Ledger
import Testing

/// SHA-256 and HMAC-SHA256 against published vectors, including the providers' webhook ones.
@Suite struct DigestTests {
    @Test func sha256MatchesTheStandardVectors() {
        #expect(
            Digest.sha256(Array("abc".utf8)).description
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Digest.sha256([UInt8]()).description
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacMatchesZendesksWebhookVector() {
        let code = HMACSHA256.authenticate(
            Array("2024-01-01T00:00:00Z{\"ticket\":{\"id\":1}}".utf8),
            key: Array("test-secret".utf8))
        #expect(Data(code).base64EncodedString() == "ERk8VWiFKUHJNlXRdrgTmmLTGbeif3VLnO6P+gNSOOs=")
    }

    @Test func hmacMatchesJirasAndGitHubsWebhookVectors() {
        #expect(
            HMACSHA256.authenticate(
                Array("{\"ticket\":{\"id\":1}}".utf8), key: Array("test-secret".utf8)
            )
            .hexadecimal == "c91d302458c153bd25af65fd9140e636abce86d34690f269f72623f8bec53b3d")
        #expect(
            HMACSHA256.authenticate(
                Array("Hello, World!".utf8), key: Array("It's a Secret to Everybody".utf8)
            ).hexadecimal == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test func validationRefusesAnyOtherCode() {
        let key = Array("k".utf8)
        let message = Array("payload".utf8)
        let code = HMACSHA256.authenticate(message, key: key)
        #expect(HMACSHA256.isValid(code, for: message, key: key))
        var flipped = code
        flipped[31] ^= 1
        #expect(!HMACSHA256.isValid(flipped, for: message, key: key))
        #expect(!HMACSHA256.isValid(Array(code.prefix(16)), for: message, key: key))
    }
}
