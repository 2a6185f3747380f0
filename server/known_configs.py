"""The names and types of Apache Kafka's broker configs, so that ``server.properties`` is read as
Kafka reads it.

Operators bring their Kafka configuration files. A name Kafka knows is accepted whether or not
odradek acts on it (``num.network.threads`` means nothing to a trio broker, but it is not a
mistake), its value is checked against Kafka's type so that ``num.partitions=abc`` is refused
naming the property, and a name Kafka does not know, a typo most likely, gets Kafka's own warning.

The first table is Kafka 4.3's broker ConfigDef (``AbstractKafkaConfig.CONFIG_DEF``); a compat test
compares it with the Kafka jars (``compat_tests/test_known_configs.py``). The second holds the
ZooKeeper-era settings that Kafka 4 dropped with ZooKeeper and that odradek's cluster mode reads,
as Kafka 3.x named them. The third holds what Kafka sets elsewhere and odradek reads as a
property: ``share.version``, the feature level ``kafka-storage format --feature`` sets in Kafka;
and the authorizer's own settings (``super.users``). The last holds odradek's own settings, which
Kafka has no name for.
"""

from __future__ import annotations

# name, type (ConfigDef's type names), and "internal" for Kafka's defineInternal configs
_KAFKA_4_3 = """
add.partitions.to.txn.retry.backoff.max.ms                  int
add.partitions.to.txn.retry.backoff.ms                      int
advertised.listeners                                        list
alter.config.policy.class.name                              class
alter.log.dirs.replication.quota.window.num                 int
alter.log.dirs.replication.quota.window.size.seconds        int
authorizer.class.name                                       string
auto.create.topics.enable                                   boolean
auto.leader.rebalance.enable                                boolean
background.threads                                          int
broker.heartbeat.interval.ms                                int
broker.id                                                   int
broker.rack                                                 string
broker.session.timeout.ms                                   int
client.quota.callback.class                                 class
compression.gzip.level                                      int
compression.lz4.level                                       int
compression.type                                            string
compression.zstd.level                                      int
config.providers                                            list
connection.failed.authentication.delay.ms                   int
connections.max.idle.ms                                     long
connections.max.reauth.ms                                   long
controlled.shutdown.enable                                  boolean
controller.listener.names                                   list
controller.performance.always.log.threshold.ms              long  internal
controller.performance.sample.period.ms                     long  internal
controller.quorum.append.linger.ms                          int
controller.quorum.auto.join.enable                          boolean
controller.quorum.bootstrap.servers                         list
controller.quorum.election.backoff.max.ms                   int
controller.quorum.election.timeout.ms                       int
controller.quorum.fetch.max.bytes                           int
controller.quorum.fetch.snapshot.max.bytes                  int
controller.quorum.fetch.timeout.ms                          int
controller.quorum.request.timeout.ms                        int
controller.quorum.retry.backoff.ms                          int
controller.quorum.voters                                    list
controller.quota.window.num                                 int
controller.quota.window.size.seconds                        int
controller.socket.timeout.ms                                int
cordoned.log.dirs                                           list
create.topic.policy.class.name                              class
default.replication.factor                                  int
delegation.token.expiry.check.interval.ms                   long
delegation.token.expiry.time.ms                             long
delegation.token.max.lifetime.ms                            long
delegation.token.secret.key                                 password
delete.records.purgatory.purge.interval.requests            int
delete.topic.enable                                         boolean
early.start.listeners                                       list
fetch.max.bytes                                             int
fetch.purgatory.purge.interval.requests                     int
follower.fetch.last.tiered.offset.enable                    boolean
group.consumer.assignment.interval.ms                       int
group.consumer.assignors                                    list
group.consumer.heartbeat.interval.ms                        int
group.consumer.max.assignment.interval.ms                   int
group.consumer.max.heartbeat.interval.ms                    int
group.consumer.max.session.timeout.ms                       int
group.consumer.max.size                                     int
group.consumer.migration.policy                             string
group.consumer.min.assignment.interval.ms                   int
group.consumer.min.heartbeat.interval.ms                    int
group.consumer.min.session.timeout.ms                       int
group.consumer.regex.refresh.interval.ms                    int  internal
group.consumer.session.timeout.ms                           int
group.coordinator.append.linger.ms                          int
group.coordinator.background.threads                        int
group.coordinator.cached.buffer.max.bytes                   int
group.coordinator.rebalance.protocols                       list
group.coordinator.threads                                   int
group.initial.rebalance.delay.ms                            int
group.max.session.timeout.ms                                int
group.max.size                                              int
group.min.session.timeout.ms                                int
group.share.assignment.interval.ms                          int
group.share.assignors                                       list
group.share.delivery.count.limit                            int
group.share.heartbeat.interval.ms                           int
group.share.initialize.retry.interval.ms                    int  internal
group.share.max.assignment.interval.ms                      int
group.share.max.delivery.count.limit                        int
group.share.max.heartbeat.interval.ms                       int
group.share.max.partition.max.record.locks                  int
group.share.max.record.lock.duration.ms                     int
group.share.max.session.timeout.ms                          int
group.share.max.share.sessions                              int
group.share.max.size                                        int
group.share.min.assignment.interval.ms                      int
group.share.min.delivery.count.limit                        int
group.share.min.heartbeat.interval.ms                       int
group.share.min.partition.max.record.locks                  int
group.share.min.record.lock.duration.ms                     int
group.share.min.session.timeout.ms                          int
group.share.partition.max.record.locks                      int
group.share.persister.class.name                            string  internal
group.share.record.lock.duration.ms                         int
group.share.session.timeout.ms                              int
group.streams.assignment.interval.ms                        int
group.streams.heartbeat.interval.ms                         int
group.streams.initial.rebalance.delay.ms                    int
group.streams.max.assignment.interval.ms                    int
group.streams.max.heartbeat.interval.ms                     int
group.streams.max.session.timeout.ms                        int
group.streams.max.size                                      int
group.streams.max.standby.replicas                          int
group.streams.min.assignment.interval.ms                    int
group.streams.min.heartbeat.interval.ms                     int
group.streams.min.session.timeout.ms                        int
group.streams.num.standby.replicas                          int
group.streams.session.timeout.ms                            int
initial.broker.registration.timeout.ms                      int
inter.broker.listener.name                                  string
internal.metadata.delete.delay.millis                       long  internal
internal.metadata.log.segment.bytes                         int  internal
internal.metadata.max.batch.size.in.bytes                   int  internal
kafka.metrics.polling.interval.secs                         int
kafka.metrics.reporters                                     list
leader.imbalance.check.interval.seconds                     long
listener.security.protocol.map                              string
listeners                                                   list
log.cleaner.backoff.ms                                      long
log.cleaner.dedupe.buffer.size                              long
log.cleaner.delete.retention.ms                             long
log.cleaner.enable                                          boolean
log.cleaner.io.buffer.load.factor                           double
log.cleaner.io.buffer.size                                  int
log.cleaner.io.max.bytes.per.second                         double
log.cleaner.max.compaction.lag.ms                           long
log.cleaner.min.cleanable.ratio                             double
log.cleaner.min.compaction.lag.ms                           long
log.cleaner.threads                                         int
log.cleanup.policy                                          list
log.dir                                                     list
log.dir.failure.timeout.ms                                  long
log.dirs                                                    list
log.flush.interval.messages                                 long
log.flush.interval.ms                                       long
log.flush.offset.checkpoint.interval.ms                     int
log.flush.scheduler.interval.ms                             long
log.flush.start.offset.checkpoint.interval.ms               int
log.index.interval.bytes                                    int
log.index.size.max.bytes                                    int
log.initial.task.delay.ms                                   long  internal
log.local.retention.bytes                                   long
log.local.retention.ms                                      long
log.message.timestamp.after.max.ms                          long
log.message.timestamp.before.max.ms                         long
log.message.timestamp.type                                  string
log.preallocate                                             boolean
log.retention.bytes                                         long
log.retention.check.interval.ms                             long
log.retention.hours                                         int
log.retention.minutes                                       int
log.retention.ms                                            long
log.roll.hours                                              int
log.roll.jitter.hours                                       int
log.roll.jitter.ms                                          long
log.roll.ms                                                 long
log.segment.bytes                                           int
log.segment.delete.delay.ms                                 long
max.connection.creation.rate                                int
max.connections                                             int
max.connections.per.ip                                      int
max.connections.per.ip.overrides                            string
max.incremental.fetch.session.cache.slots                   int
max.request.partition.size.limit                            int
message.max.bytes                                           int
metadata.log.dir                                            string
metadata.log.max.record.bytes.between.snapshots             long
metadata.log.max.snapshot.interval.ms                       long
metadata.log.segment.bytes                                  int
metadata.log.segment.ms                                     long
metadata.max.idle.interval.ms                               int
metadata.max.retention.bytes                                long
metadata.max.retention.ms                                   long
metric.reporters                                            list
metrics.num.samples                                         int
metrics.recording.level                                     string
metrics.sample.window.ms                                    long
min.insync.replicas                                         int
node.id                                                     int
num.io.threads                                              int
num.network.threads                                         int
num.partitions                                              int
num.recovery.threads.per.data.dir                           int
num.replica.alter.log.dirs.threads                          int
num.replica.fetchers                                        int
offset.metadata.max.bytes                                   int
offsets.commit.timeout.ms                                   int
offsets.load.buffer.size                                    int
offsets.retention.check.interval.ms                         long
offsets.retention.minutes                                   int
offsets.topic.compression.codec                             int
offsets.topic.num.partitions                                int
offsets.topic.replication.factor                            short
offsets.topic.segment.bytes                                 int
principal.builder.class                                     class
process.roles                                               list
producer.id.expiration.check.interval.ms                    int  internal
producer.id.expiration.ms                                   int
producer.purgatory.purge.interval.requests                  int
queued.max.request.bytes                                    long
queued.max.requests                                         int
quota.window.num                                            int
quota.window.size.seconds                                   int
remote.fetch.max.wait.ms                                    int
remote.list.offsets.request.timeout.ms                      long
remote.log.index.file.cache.total.size.bytes                long
remote.log.index.file.cache.ttl.ms                          long  internal
remote.log.manager.copier.thread.pool.size                  int
remote.log.manager.copy.max.bytes.per.second                long
remote.log.manager.copy.quota.window.num                    int
remote.log.manager.copy.quota.window.size.seconds           int
remote.log.manager.expiration.thread.pool.size              int
remote.log.manager.fetch.max.bytes.per.second               long
remote.log.manager.fetch.quota.window.num                   int
remote.log.manager.fetch.quota.window.size.seconds          int
remote.log.manager.follower.thread.pool.size                int
remote.log.manager.task.interval.ms                         long
remote.log.manager.task.retry.backoff.max.ms                long  internal
remote.log.manager.task.retry.backoff.ms                    long  internal
remote.log.manager.task.retry.jitter                        double  internal
remote.log.manager.thread.pool.size                         int
remote.log.metadata.custom.metadata.max.bytes               int
remote.log.metadata.manager.class.name                      string
remote.log.metadata.manager.class.path                      string
remote.log.metadata.manager.impl.prefix                     string
remote.log.metadata.manager.listener.name                   string
remote.log.reader.max.pending.tasks                         int
remote.log.reader.threads                                   int
remote.log.storage.manager.class.name                       string
remote.log.storage.manager.class.path                       string
remote.log.storage.manager.impl.prefix                      string
remote.log.storage.system.enable                            boolean
replica.fetch.backoff.ms                                    int
replica.fetch.max.bytes                                     int
replica.fetch.min.bytes                                     int
replica.fetch.response.max.bytes                            int
replica.fetch.wait.max.ms                                   int
replica.high.watermark.checkpoint.interval.ms               long
replica.lag.time.max.ms                                     long
replica.selector.class                                      string
replica.socket.receive.buffer.bytes                         int
replica.socket.timeout.ms                                   int
replication.quota.window.num                                int
replication.quota.window.size.seconds                       int
request.timeout.ms                                          int
sasl.client.callback.handler.class                          class
sasl.enabled.mechanisms                                     list
sasl.jaas.config                                            password
sasl.kerberos.kinit.cmd                                     string
sasl.kerberos.min.time.before.relogin                       long
sasl.kerberos.principal.to.local.rules                      list
sasl.kerberos.service.name                                  string
sasl.kerberos.ticket.renew.jitter                           double
sasl.kerberos.ticket.renew.window.factor                    double
sasl.login.callback.handler.class                           class
sasl.login.class                                            class
sasl.login.connect.timeout.ms                               int
sasl.login.read.timeout.ms                                  int
sasl.login.refresh.buffer.seconds                           short
sasl.login.refresh.min.period.seconds                       short
sasl.login.refresh.window.factor                            double
sasl.login.refresh.window.jitter                            double
sasl.login.retry.backoff.max.ms                             long
sasl.login.retry.backoff.ms                                 long
sasl.mechanism.controller.protocol                          string
sasl.mechanism.inter.broker.protocol                        string
sasl.oauthbearer.assertion.algorithm                        string
sasl.oauthbearer.assertion.claim.aud                        string
sasl.oauthbearer.assertion.claim.exp.seconds                int
sasl.oauthbearer.assertion.claim.iss                        string
sasl.oauthbearer.assertion.claim.jti.include                boolean
sasl.oauthbearer.assertion.claim.nbf.seconds                int
sasl.oauthbearer.assertion.claim.sub                        string
sasl.oauthbearer.assertion.file                             string
sasl.oauthbearer.assertion.private.key.file                 string
sasl.oauthbearer.assertion.private.key.passphrase           password
sasl.oauthbearer.assertion.template.file                    string
sasl.oauthbearer.client.credentials.client.id               string
sasl.oauthbearer.client.credentials.client.secret           password
sasl.oauthbearer.clock.skew.seconds                         int
sasl.oauthbearer.expected.audience                          list
sasl.oauthbearer.expected.issuer                            string
sasl.oauthbearer.jwks.endpoint.refresh.ms                   long
sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms         long
sasl.oauthbearer.jwks.endpoint.retry.backoff.ms             long
sasl.oauthbearer.jwks.endpoint.url                          string
sasl.oauthbearer.jwt.retriever.class                        class
sasl.oauthbearer.jwt.validator.class                        class
sasl.oauthbearer.scope                                      string
sasl.oauthbearer.scope.claim.name                           string
sasl.oauthbearer.sub.claim.name                             string
sasl.oauthbearer.token.endpoint.url                         string
sasl.server.callback.handler.class                          class
sasl.server.max.receive.size                                int
security.inter.broker.protocol                              string
security.providers                                          string
server.max.startup.time.ms                                  long  internal
share.coordinator.append.linger.ms                          int
share.coordinator.cached.buffer.max.bytes                   int
share.coordinator.cold.partition.snapshot.interval.ms       int  internal
share.coordinator.load.buffer.size                          int
share.coordinator.snapshot.update.records.per.snapshot      int
share.coordinator.state.topic.compression.codec             int
share.coordinator.state.topic.min.isr                       short
share.coordinator.state.topic.num.partitions                int
share.coordinator.state.topic.prune.interval.ms             int  internal
share.coordinator.state.topic.replication.factor            short
share.coordinator.state.topic.segment.bytes                 int
share.coordinator.threads                                   int
share.coordinator.write.timeout.ms                          int
share.fetch.purgatory.purge.interval.requests               int
socket.connection.setup.timeout.max.ms                      long
socket.connection.setup.timeout.ms                          long
socket.listen.backlog.size                                  int
socket.receive.buffer.bytes                                 int
socket.request.max.bytes                                    int
socket.send.buffer.bytes                                    int
ssl.allow.dn.changes                                        boolean
ssl.allow.san.changes                                       boolean
ssl.cipher.suites                                           list
ssl.client.auth                                             string
ssl.enabled.protocols                                       list
ssl.endpoint.identification.algorithm                       string
ssl.engine.factory.class                                    class
ssl.key.password                                            password
ssl.keymanager.algorithm                                    string
ssl.keystore.certificate.chain                              password
ssl.keystore.key                                            password
ssl.keystore.location                                       string
ssl.keystore.password                                       password
ssl.keystore.type                                           string
ssl.principal.mapping.rules                                 string
ssl.protocol                                                string
ssl.provider                                                string
ssl.secure.random.implementation                            string
ssl.trustmanager.algorithm                                  string
ssl.truststore.certificates                                 password
ssl.truststore.location                                     string
ssl.truststore.password                                     password
ssl.truststore.type                                         string
telemetry.max.bytes                                         int
transaction.abort.timed.out.transaction.cleanup.interval.ms int
transaction.max.timeout.ms                                  int
transaction.partition.verification.enable                   boolean
transaction.remove.expired.transaction.cleanup.interval.ms  int
transaction.state.log.load.buffer.size                      int
transaction.state.log.min.isr                               int
transaction.state.log.num.partitions                        int
transaction.state.log.replication.factor                    short
transaction.state.log.segment.bytes                         int
transaction.two.phase.commit.enable                         boolean
transactional.id.expiration.ms                              int
unclean.leader.election.enable                              boolean
unclean.leader.election.interval.ms                         long  internal
unstable.api.versions.enable                                boolean  internal
unstable.feature.versions.enable                            boolean  internal
"""

_ZOOKEEPER_ERA = """
zookeeper.connect                               string
zookeeper.session.timeout.ms                    int
zookeeper.connection.timeout.ms                 int
zookeeper.max.in.flight.requests                int
zookeeper.set.acl                               boolean
zookeeper.metadata.migration.enable             boolean
zookeeper.clientCnxnSocket                      string
zookeeper.ssl.client.enable                     boolean
zookeeper.ssl.keystore.location                 string
zookeeper.ssl.keystore.password                 password
zookeeper.ssl.keystore.type                     string
zookeeper.ssl.truststore.location               string
zookeeper.ssl.truststore.password               password
zookeeper.ssl.truststore.type                   string
zookeeper.ssl.protocol                          string
zookeeper.ssl.enabled.protocols                 list
zookeeper.ssl.cipher.suites                     list
zookeeper.ssl.endpoint.identification.algorithm string
zookeeper.ssl.crl.enable                        boolean
zookeeper.ssl.ocsp.enable                       boolean
broker.id.generation.enable                     boolean
reserved.broker.max.id                          int
control.plane.listener.name                     string
inter.broker.protocol.version                   string
log.message.format.version                      string
controlled.shutdown.max.retries                 int
controlled.shutdown.retry.backoff.ms            long
"""


_FEATURES = """
share.version                                   short
streams.version                                 short
"""

# Read by Kafka's authorizers (StandardAuthorizer, AclAuthorizer) from the broker's properties,
# outside the broker's ConfigDef.
_AUTHORIZER = """
super.users                                     string
allow.everyone.if.no.acl.found                  boolean
"""

# odradek's own: the HTTP port serving /metrics (off unless set; 0 picks a free one), and its host
# (default: the first listener's); see server/web/web_settings.py
_ODRADEK = """
metrics.port                                    int
metrics.host                                    string
"""


def _table(text: str) -> dict[str, str]:
    return {fields[0]: fields[1] for fields in (line.split() for line in text.splitlines() if line.strip())}


#: Kafka 4.3's broker configs, name -> type.
KAFKA_BROKER_CONFIGS: dict[str, str] = _table(_KAFKA_4_3)
#: Every broker config name odradek knows, name -> type.
KNOWN_BROKER_CONFIGS: dict[str, str] = {**KAFKA_BROKER_CONFIGS, **_table(_ZOOKEEPER_ERA), **_table(_FEATURES),
                                           **_table(_AUTHORIZER), **_table(_ODRADEK)}

#: Where Kafka takes a listener's own value of a config (``listener.name.<listener>.<config>``).
LISTENER_PREFIX = "listener.name."


def config_type(name: str) -> str | None:
    """The type of a broker config Kafka knows, None for a name it does not.

    Per-listener settings (``listener.name.internal.ssl.keystore.location``) are the config after
    the listener's name, and the JAAS settings of one SASL mechanism
    (``listener.name.l.plain.sasl.jaas.config``) the config after the mechanism's name.
    """
    if name in KNOWN_BROKER_CONFIGS:
        return KNOWN_BROKER_CONFIGS[name]
    if name.startswith(LISTENER_PREFIX):
        parts = name[len(LISTENER_PREFIX):].split(".", 2)
        for rest in (".".join(parts[1:]), parts[2] if len(parts) > 2 else ""):
            if rest in KNOWN_BROKER_CONFIGS:
                return KNOWN_BROKER_CONFIGS[rest]
    return None
