import TallyCodes

/// The published test key: bytes 0x00, 0x01, …, 0x1f, used under every key id.
let testKeyBytes: [UInt8] = Array(0..<32)

/// A ring holding the test key under all 32 key ids.
let testRing: KeyRing = {
    let keys = (0...31).map { try! SigningKey(kid: UInt8($0), bytes: testKeyBytes) }
    return try! KeyRing(keys)
}()
