import Foundation
import TallyCodes
import Testing

@Suite("Key ring and key files")
struct KeyFileTests {
    let hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    @Test("key text: comments, separators, newest kid")
    func parse() throws {
        let ring = try KeyFile.parse(
            """
            # keys
            1:\(hexKey)   # the first
            4:\(hexKey.uppercased()),2:\(hexKey)
            """)
        #expect(ring.kids == [1, 2, 4])
        #expect(ring.newestKid == 4)
        #expect(ring.mint(kid: 1, serial: 1_000_000_123)?.text == "100XSNJKV2X7HSAVAG")
    }

    @Test("bad key text is refused with a message that does not contain the key")
    func badText() {
        #expect(throws: KeyRingError.empty) { try KeyFile.parse("# nothing\n") }
        #expect(throws: KeyRingError.badLine(number: 1, reason: "expected KID:HEX")) { try KeyFile.parse(hexKey) }
        #expect(throws: KeyRingError.kidOutOfRange(32)) { try KeyFile.parse("32:\(hexKey)") }
        #expect(throws: KeyRingError.wrongKeyLength(kid: 1, count: 31)) { try KeyFile.parse("1:\(hexKey.dropLast(2))") }
        #expect(throws: KeyRingError.badLine(number: 2, reason: "key is not hexadecimal")) {
            try KeyFile.parse("\n1:\(hexKey.dropLast(1))g")
        }
        #expect(throws: KeyRingError.duplicateKid(1)) { try KeyFile.parse("1:\(hexKey)\n1:\(hexKey)") }
        let message = KeyRingError.wrongKeyLength(kid: 1, count: 31).description
        #expect(!message.contains("0001020304"))
    }

    @Test("generate writes a 0600 file, refuses to overwrite, rotate adds the next kid")
    func generateAndRotate() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try KeyFile.create(path: path, kid: 1)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: KeyRingError.self) { try KeyFile.create(path: path, kid: 1) }
        #expect(try KeyFile.load(path: path).kids == [1])
        #expect(try KeyFile.rotate(path: path) == 2)
        let ring = try KeyFile.load(path: path)
        #expect(ring.kids == [1, 2])
        #expect(ring.key(kid: 1)?.fingerprint != ring.key(kid: 2)?.fingerprint)
    }

    @Test("a key file readable by others is refused")
    func tooOpen() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try KeyFile.create(path: path, kid: 1)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: KeyRingError.tooOpen(path: path, mode: 0o644)) { try KeyFile.load(path: path) }
        #expect(throws: KeyRingError.self) { try KeyFile.load(path: path + ".missing") }
    }

    @Test("the ring comes from the environment when no file is named")
    func environment() throws {
        let ring = try KeyFile.load(path: nil, environment: ["TALLY_KEYS": "3:\(hexKey)"])
        #expect(ring.kids == [3])
        #expect(throws: KeyRingError.empty) { try KeyFile.load(path: nil, environment: [:]) }
    }
}
