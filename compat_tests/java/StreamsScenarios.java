/*
 * Kafka Streams programs the compatibility tests run against the broker, compiled by the test run
 * against the Kafka Streams jars from Maven Central (written for odradek's tests).
 *
 *   java StreamsScenarios wordcount|windowed <properties file>
 *
 * The properties file holds the Streams configuration plus two keys of ours, scenario.input and
 * scenario.output (the topics). The program prints "STATE <new state>" on every state change, so
 * a test can wait for RUNNING, and closes Kafka Streams cleanly on SIGTERM.
 */

import java.io.FileReader;
import java.io.IOException;
import java.io.Reader;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

public final class StreamsScenarios {
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: StreamsScenarios wordcount|windowed <properties file>");
            System.exit(2);
        }
        Properties props = new Properties();
        try (Reader reader = new FileReader(args[1])) {
            props.load(reader);
        }
        String input = (String) props.remove("scenario.input");
        String output = (String) props.remove("scenario.output");
        StreamsBuilder builder = new StreamsBuilder();
        switch (args[0]) {
            case "wordcount":
                wordCount(builder, input, output);
                break;
            case "windowed":
                windowedCount(builder, input, output);
                break;
            default:
                System.err.println("unknown scenario " + args[0]);
                System.exit(2);
        }
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch closed = new CountDownLatch(1);
        // close() returns once the state is NOT_RUNNING, but the listener hears of it afterwards, on
        // Streams' own close thread: the hook waits for that too, or the JVM could exit unprinted
        CountDownLatch notRunningPrinted = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            System.out.println("STATE " + now);
            System.out.flush();
            if (now == KafkaStreams.State.NOT_RUNNING) {
                notRunningPrinted.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(20));
            try {
                notRunningPrinted.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closed.countDown();
        }));
        streams.start();
        closed.await();
    }

    /** Words of the input lines counted (a repartition by word, a changelogged key-value store). */
    static void wordCount(StreamsBuilder builder, String input, String output) {
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
            .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
            .filter((key, word) -> !word.isEmpty())
            .groupBy((key, word) -> word, Grouped.with("words", Serdes.String(), Serdes.String()))
            .count(Materialized.as("word-counts"))
            .toStream()
            .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    }

    /** Records per key in one-minute windows of their timestamps, in a persistent window store
     *  whose changelog restores it; the output key is "<key>@<window start ms>". */
    static void windowedCount(StreamsBuilder builder, String input, String output) {
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofDays(1)))
            .count(Materialized.as("windowed-counts"))
            .toStream((window, count) -> window.key() + "@" + window.window().start())
            .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    }
}
