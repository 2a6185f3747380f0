// Prints Kafka's broker configs as "name<TAB>type" lines, sorted: the facts that
// odradek's server/known_configs.py table must match (compat_tests/test_known_configs.py).
// Run as a single-file program: java -cp <kafka jars> BrokerConfigTypes.java
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.server.config.AbstractKafkaConfig;

public class BrokerConfigTypes {
    public static void main(String[] args) {
        Map<String, ConfigDef.ConfigKey> keys = new TreeMap<>(AbstractKafkaConfig.CONFIG_DEF.configKeys());
        for (Map.Entry<String, ConfigDef.ConfigKey> entry : keys.entrySet()) {
            System.out.println(entry.getKey() + "\t" + entry.getValue().type.name().toLowerCase());
        }
    }
}
