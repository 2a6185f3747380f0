// Kafka's own bytes for coordinator records (compat_tests/test_coordinator_records_kafka.py).
// Run as a single-file program: java -cp <kafka jars> CoordinatorRecordBytes.java [types]
//
// With "types": prints each record type Kafka's group and share coordinators know, as
// "topic<TAB>ENUM_NAME<TAB>id<TAB>lowest value version<TAB>highest value version" lines.
// Otherwise reads "topic<TAB>Name<TAB>key JSON<TAB>value JSON or null<TAB>value version" lines
// (JSON as Kafka's generated JsonConverters read it) and prints, for each, the key and value
// bytes Kafka's CoordinatorRecordSerde writes, in hex ("null" for a tombstone's value).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.HexFormat;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecordSerde;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.kafka.coordinator.share.ShareCoordinatorRecordSerde;
import org.apache.kafka.server.common.ApiMessageAndVersion;

public class CoordinatorRecordBytes {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("types")) {
            for (var type : org.apache.kafka.coordinator.group.generated.CoordinatorRecordType.values()) {
                System.out.println("consumer_offsets\t" + type.name() + "\t" + type.id() + "\t"
                    + type.lowestSupportedVersion() + "\t" + type.highestSupportedVersion());
            }
            for (var type : org.apache.kafka.coordinator.share.generated.CoordinatorRecordType.values()) {
                System.out.println("share_group_state\t" + type.name() + "\t" + type.id() + "\t"
                    + type.lowestSupportedVersion() + "\t" + type.highestSupportedVersion());
            }
            return;
        }
        ObjectMapper json = new ObjectMapper();
        HexFormat hex = HexFormat.of();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] parts = line.split("\t");
            boolean share = parts[0].equals("share_group_state");
            String generated = share ? "org.apache.kafka.coordinator.share.generated."
                                     : "org.apache.kafka.coordinator.group.generated.";
            CoordinatorRecordSerde serde = share ? new ShareCoordinatorRecordSerde() : new GroupCoordinatorRecordSerde();
            ApiMessage key = read(generated + parts[1] + "KeyJsonConverter", json.readTree(parts[2]), (short) 0);
            CoordinatorRecord record;
            if (parts[3].equals("null")) {
                record = CoordinatorRecord.tombstone(key);
            } else {
                short version = Short.parseShort(parts[4]);
                ApiMessage value = read(generated + parts[1] + "ValueJsonConverter", json.readTree(parts[3]), version);
                record = CoordinatorRecord.record(key, new ApiMessageAndVersion(value, version));
            }
            byte[] valueBytes = serde.serializeValue(record);
            System.out.println(hex.formatHex(serde.serializeKey(record)) + "\t"
                + (valueBytes == null ? "null" : hex.formatHex(valueBytes)));
        }
    }

    private static ApiMessage read(String converter, JsonNode node, short version) throws Exception {
        return (ApiMessage) Class.forName(converter).getMethod("read", JsonNode.class, short.class)
            .invoke(null, node, version);
    }
}
