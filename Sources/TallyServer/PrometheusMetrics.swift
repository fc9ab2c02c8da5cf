import Hummingbird
import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics, served at `/metrics`.
///
/// swift-metrics can be bootstrapped once per process; a static stored property is
/// initialised exactly once, on first use, however many applications a process builds.
enum PrometheusMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func response() -> Response {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer))
        )
    }
}
