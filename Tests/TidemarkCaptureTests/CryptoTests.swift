import Testing
@testable import TidemarkCapture

@Suite("SCRAM-SHA-256 and its hashes")
struct CryptoTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    // FIPS 180-4 example vectors, and a message spanning many blocks.
    @Test func sha256MatchesTheStandardVectors() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 1000))) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func incrementalUpdatesHashLikeOneUpdate() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var hasher = SHA256()
        hasher.update(Array(message[0..<63]))
        hasher.update(Array(message[63..<65]))
        hasher.update(Array(message[65...]))
        #expect(hasher.finish() == SHA256.hash(message))
    }

    @Test func hmacAndPBKDF2MatchKnownValues() {
        #expect(
            hex(HMACSHA256.authenticate(Array("The quick brown fox jumps over the lazy dog".utf8), key: Array("key".utf8)))
                == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        // A key longer than the block is hashed first.
        #expect(
            hex(HMACSHA256.authenticate(Array("long key".utf8), key: Array(repeating: UInt8(ascii: "k"), count: 100)))
                == "5903eedefe0bba3f15b658715e41d71f1848739bddf19e497e968df5723dcd56")
        #expect(
            hex(HMACSHA256.pbkdf2(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096))
                == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
    }

    /// RFC 7677, section 3.
    @Test func scramFollowsTheRFCExample() throws {
        var client = SCRAMClient(password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO", user: "user")
        #expect(String(decoding: client.firstMessage, as: UTF8.self) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let final = try client.finalMessage(
            serverFirst: Array("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8))
        #expect(
            String(decoding: final, as: UTF8.self)
                == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        try client.verify(serverFinal: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        #expect(throws: CaptureError.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
    }

    @Test func aServerNonceThatDoesNotExtendOursIsRefused() {
        var client = SCRAMClient(password: "pencil", clientNonce: "abc")
        #expect(throws: CaptureError.self) { try client.finalMessage(serverFirst: Array("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)) }
    }
}
