package io.spindle.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.spindle.schedule.CronTiming;
import io.spindle.schedule.EveryTiming;
import io.spindle.schedule.Schedule;
import io.spindle.schedule.ScheduleView;
import io.spindle.task.Durations;

/**
 * The API's JSON form of a schedule, with its next fire times and its last run.
 */
final class ScheduleJson {
    private ScheduleJson() {
    }

    static ObjectNode of(ScheduleView view) {
        Schedule schedule = view.schedule();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", schedule.name());
        node.put("queue", schedule.queue());
        switch (schedule.timing()) {
            case CronTiming cron -> node.put("cron", cron.expression());
            case EveryTiming every -> node.put("every", Durations.format(every.interval()));
        }
        node.put("timezone", schedule.timing().zone().getId());
        node.putRawValue("payload", new RawValue(schedule.payload()));
        node.put("priority", schedule.priority());
        node.put("catchUp", schedule.catchUp().apiName());
        node.put("paused", schedule.paused());
        var runs = node.putArray("nextRuns");
        view.nextRuns().forEach(at -> runs.add(at.toString()));
        view.lastRun().ifPresentOrElse(last -> {
            ObjectNode run = node.putObject("lastRun");
            run.put("at", last.at().toString());
            run.put("taskId", Long.toString(last.taskId()));
        }, () -> node.putNull("lastRun"));
        return node;
    }
}
