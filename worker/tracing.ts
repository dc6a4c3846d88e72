// Optional OpenTelemetry tracing: spans for workflow starts, workflow and activity executions,
// linked across client, workflow and activity, exported over OTLP/HTTP (or to the console).
import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export interface TracingSettings {
  enabled: boolean;
  exporter: 'otlp' | 'console';
  otlpEndpoint: string;
  serviceName: string;
}

export interface Tracing {
  /** Goes in the `plugins` of the Worker (and of a Client, to link starts to executions). */
  plugin: OpenTelemetryPlugin;
  /** Flushes spans still buffered; call at shutdown. */
  shutdown(): Promise<void>;
}

/** The workflow-side interceptors, which must be inside the workflow bundle. */
export const tracingWorkflowInterceptorModule = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

export function tracingFromSettings(settings: TracingSettings, exporterOverride?: SpanExporter): Tracing | undefined {
  if (!settings.enabled) return undefined;
  const resource = new Resource({ 'service.name': settings.serviceName });
  const exporter =
    exporterOverride ??
    (settings.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: settings.otlpEndpoint }));
  const spanProcessor: SpanProcessor =
    settings.exporter === 'console' || exporterOverride ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  const plugin = new OpenTelemetryPlugin({ resource, spanProcessor, tracer: provider.getTracer('ssmflow') });
  return { plugin, shutdown: () => provider.shutdown() };
}
