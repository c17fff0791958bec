"""The local Lambda runtime: workers, SQS pollers and the scheduler, driven by template.yaml.

Import what you need from its modules (infra.localaws.runtime.supervisor.Runtime, ...); this
package file stays empty so a worker's cold start pays only for what it uses.
"""
