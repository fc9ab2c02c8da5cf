import Foundation
import Testing

@testable import TallyCore

@Suite("Failed API key throttle")
struct FailedKeyThrottleTests {
    @Test("an address may fail `failures` times, then waits for a try to come back; others are not affected")
    func bucket() {
        let throttle = FailedKeyThrottle(.init(failures: 4, window: .seconds(32)))
        let start = ContinuousClock.now
        for _ in 0..<4 {
            #expect(throttle.retryAfter(address: "198.51.100.1", now: start) == nil)
            throttle.recordFailure(address: "198.51.100.1", now: start)
        }
        // One try comes back every 8 s.
        #expect(throttle.retryAfter(address: "198.51.100.1", now: start) == 8)
        #expect(throttle.retryAfter(address: "198.51.100.1", now: start + .seconds(3)) == 5)
        #expect(throttle.retryAfter(address: "198.51.100.1", now: start + .seconds(8)) == nil)
        #expect(throttle.retryAfter(address: "198.51.100.2", now: start) == nil)
    }

    @Test("off: nothing is counted or refused")
    func off() {
        let throttle = FailedKeyThrottle(.off)
        for _ in 0..<100 { throttle.recordFailure(address: "198.51.100.1") }
        #expect(throttle.retryAfter(address: "198.51.100.1") == nil)
        #expect(throttle.count == 0)
    }

    @Test("a flood of failures from many addresses never holds more than the capacity, and keeps the newest")
    func boundedMemory() {
        let throttle = FailedKeyThrottle(.init(failures: 2, window: .seconds(3600), capacity: 1000))
        let start = ContinuousClock.now
        for i in 0..<100_000 {
            let address = "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)"
            let now = start + .milliseconds(i)
            throttle.recordFailure(address: address, now: now)
            throttle.recordFailure(address: address, now: now)
            #expect(throttle.count <= 1000)
        }
        // The last address to fail is still held back.
        #expect(throttle.retryAfter(address: "10.1.134.159", now: start + .seconds(100)) != nil)
    }

    @Test("addresses whose tries have all come back are forgotten first when the table is full")
    func forgetsRefilled() {
        let throttle = FailedKeyThrottle(.init(failures: 2, window: .seconds(10), capacity: 100))
        let start = ContinuousClock.now
        throttle.recordFailure(address: "192.0.2.1", now: start + .seconds(19))
        throttle.recordFailure(address: "192.0.2.1", now: start + .seconds(19))
        for i in 0..<99 { throttle.recordFailure(address: "198.51.100.\(i)", now: start) }
        #expect(throttle.count == 100)
        // 20 s later the 99 have their tries back; a new address makes them go, not 192.0.2.1.
        throttle.recordFailure(address: "203.0.113.1", now: start + .seconds(20))
        #expect(throttle.count == 2)
        #expect(throttle.retryAfter(address: "192.0.2.1", now: start + .seconds(20)) != nil)
    }

    @Test("IPv6 addresses count by their /64; IPv4-mapped ones as IPv4")
    func addressKeys() {
        #expect(FailedKeyThrottle.key("2001:db8:1:2::7") == "2001:db8:1:2")
        #expect(FailedKeyThrottle.key("2001:0db8:0001:0002:abcd:ef01:2345:6789") == "2001:db8:1:2")
        #expect(FailedKeyThrottle.key("2001:db8::1") == "2001:db8:0:0")
        #expect(FailedKeyThrottle.key("::1") == "0:0:0:0")
        #expect(FailedKeyThrottle.key("fe80::1%eth0") == "fe80:0:0:0")
        #expect(FailedKeyThrottle.key("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(FailedKeyThrottle.key("192.0.2.1") == "192.0.2.1")
        #expect(FailedKeyThrottle.key(nil) == "unknown")
    }
}
