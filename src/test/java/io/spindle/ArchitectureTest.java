package io.spindle;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import io.spindle.dispatch.TaskMetrics;
import io.spindle.dispatch.TaskTransitions;
import io.spindle.task.Task;
import io.spindle.task.TaskEvent;
import io.spindle.task.TaskEvents;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Holds the arrows of ARCHITECTURE.md: {@code io.spindle} (wiring) → http → security → dispatch / schedule →
 * handler → task / bus → db → config, with the shared vocabulary ({@code io.spindle.error}) at the bottom and
 * {@code observe} read by the wiring only; no cycles between packages; JDBC only in the stores and the db seam;
 * transitions counted and announced only by {@code TaskTransitions}. Each rule is shown to fail on a fixture.
 */
class ArchitectureTest {
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.spindle");

    static LayeredArchitecture layers() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("wiring").definedBy("io.spindle")
                .layer("http").definedBy("io.spindle.http..")
                .layer("security").definedBy("io.spindle.security..")
                .layer("dispatch").definedBy("io.spindle.dispatch..")
                .layer("schedule").definedBy("io.spindle.schedule..")
                .layer("handler").definedBy("io.spindle.handler..")
                .layer("task").definedBy("io.spindle.task..")
                .layer("bus").definedBy("io.spindle.bus..")
                .layer("db").definedBy("io.spindle.db..")
                .layer("config").definedBy("io.spindle.config..")
                .layer("error").definedBy("io.spindle.error..")
                .layer("observe").definedBy("io.spindle.observe..")
                .whereLayer("http").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("security").mayOnlyBeAccessedByLayers("wiring", "http")
                .whereLayer("dispatch").mayOnlyBeAccessedByLayers("wiring", "http", "security")
                .whereLayer("schedule").mayOnlyBeAccessedByLayers("wiring", "http", "security")
                .whereLayer("handler").mayOnlyBeAccessedByLayers("wiring", "http", "security", "dispatch", "schedule")
                .whereLayer("task").mayOnlyBeAccessedByLayers(
                        "wiring", "http", "security", "dispatch", "schedule", "handler", "observe")
                .whereLayer("bus").mayOnlyBeAccessedByLayers(
                        "wiring", "http", "security", "dispatch", "schedule", "handler", "observe")
                .whereLayer("db").mayOnlyBeAccessedByLayers(
                        "wiring", "http", "security", "dispatch", "schedule", "handler", "task", "bus", "observe")
                .whereLayer("observe").mayOnlyBeAccessedByLayers("wiring");
    }

    @Test
    void importsPointDownTheLayers() {
        layers().check(PRODUCTION);
    }

    @Test
    void theSharedVocabularyImportsNothingOfOurs() {
        classes().that().resideInAPackage("io.spindle.error..")
                .should().onlyDependOnClassesThat(ourOwnOnlyFrom("io.spindle.error.."))
                .check(PRODUCTION);
    }

    @Test
    void configImportsNothingOfOursButTheVocabulary() {
        classes().that().resideInAPackage("io.spindle.config..")
                .should().onlyDependOnClassesThat(ourOwnOnlyFrom("io.spindle.config..", "io.spindle.error.."))
                .check(PRODUCTION);
    }

    /** All SQL lives in the stores (ARCHITECTURE.md, "One SQL home"): only they and the db seam touch JDBC. */
    static ArchRule jdbcOnlyInTheStores() {
        return noClasses().that().resideOutsideOfPackage("io.spindle.db..")
                .and().haveSimpleNameNotEndingWith("Store")
                .and().doNotHaveSimpleName("TaskRows")
                .should().dependOnClassesThat().resideInAPackage("java.sql..");
    }

    /**
     * The one transition path: a task's transition is counted and announced only by {@code TaskTransitions}
     * (long-polls and the dispatcher are also woken by the wiring, for news from other instances).
     */
    static ArchRule transitionsCountedAndAnnouncedInOnePlace() {
        return noClasses().that().doNotHaveFullyQualifiedName(TaskTransitions.class.getName())
                .should().callMethod(TaskEvents.class, "emit", TaskEvent.class, Task.class)
                .orShould().callMethod(TaskMetrics.class, "enqueued", String.class)
                .orShould().callMethod(TaskMetrics.class, "started", String.class)
                .orShould().callMethod(TaskMetrics.class, "finished", String.class, String.class)
                .orShould().callMethod(TaskMetrics.class, "redriven", String.class);
    }

    @Test
    void onlyTheStoresTouchJdbc() {
        jdbcOnlyInTheStores().check(PRODUCTION);
    }

    @Test
    void onlyTaskTransitionsCountsAndAnnouncesTransitions() {
        transitionsCountedAndAnnouncedInOnePlace().check(PRODUCTION);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.spindle.(*)..").should().beFreeOfCycles().check(PRODUCTION);
    }

    /** Any class that is not Spindle's, or one of Spindle's in these packages. */
    private static DescribedPredicate<JavaClass> ourOwnOnlyFrom(String... packages) {
        return not(resideInAnyPackage("io.spindle..")).or(resideInAnyPackage(packages));
    }

    /** The rule is not vacuous: a class of the db layer that imports http is caught. */
    @Test
    void aWrongWayImportFailsTheRule() {
        JavaClasses wrongWay = new ClassFileImporter().importClasses(
                io.spindle.db.WrongWayFixture.class, io.spindle.http.Problem.class);
        ArchRule rule = layers();
        assertThatThrownBy(() -> rule.check(wrongWay))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("WrongWayFixture");
    }

    /** The SQL-home and transition-path rules are not vacuous either: a class that bypasses both is caught. */
    @Test
    void aBypassOfTheStoresAndTheTransitionPathFailsTheRules() {
        JavaClasses bypass = new ClassFileImporter().importClasses(io.spindle.http.BypassFixture.class);
        assertThatThrownBy(() -> jdbcOnlyInTheStores().check(bypass))
                .isInstanceOf(AssertionError.class).hasMessageContaining("BypassFixture");
        assertThatThrownBy(() -> transitionsCountedAndAnnouncedInOnePlace().check(bypass))
                .isInstanceOf(AssertionError.class).hasMessageContaining("TaskMetrics.finished");
    }
}
