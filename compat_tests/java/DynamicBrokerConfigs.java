// Prints Kafka's dynamic broker configs, one "name<TAB>mode<TAB>type<TAB>default" line each
// (mode per-broker or cluster-wide, the default as DescribeConfigs shows it, "null" for none),
// then one "listener-only<TAB>name" line per config settable only for one listener: the facts
// odradek's server/dynamic_config_defs.py must match (compat_tests/test_known_configs.py).
// Run as a single-file program: java -cp <kafka jars> DynamicBrokerConfigs.java
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.server.config.DynamicBrokerConfig;
import org.apache.kafka.server.config.DynamicConfig;

public class DynamicBrokerConfigs {
    public static void main(String[] args) {
        Map<String, ConfigDef.ConfigKey> keys = DynamicConfig.Broker.configKeys();
        Map<String, String> modes = new TreeMap<>(DynamicBrokerConfig.dynamicConfigUpdateModes());
        for (Map.Entry<String, String> entry : modes.entrySet()) {
            ConfigDef.ConfigKey key = keys.get(entry.getKey());
            String value = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            System.out.println(entry.getKey() + "\t" + entry.getValue() + "\t" + key.type.name().toLowerCase()
                               + "\t" + value);
        }
        for (String name : new TreeSet<>(DynamicBrokerConfig.DYNAMIC_SECURITY_CONFIGS)) {
            System.out.println("listener-only\t" + name);
        }
    }
}
