/// Plans of Canaries written alike share their steps, metrics, webhooks
/// and alerts: one copy of each list for a thousand Canaries with the same
/// analysis, not a thousand (arrays are shared on copy, so the plans
/// themselves stay values). Plans differ in their names only.
struct PlanInterner {
    private var steps: Set<[PlanStep]> = []
    private var metrics: Set<[PlanMetric]> = []
    private var webhooks: Set<[PlanWebhook]> = []
    private var alerts: Set<[PlanAlert]> = []

    mutating func intern(_ plan: Plan) -> Plan {
        var plan = plan
        plan.steps = steps.insert(plan.steps).memberAfterInsert
        plan.metrics = metrics.insert(plan.metrics).memberAfterInsert
        plan.webhooks = webhooks.insert(plan.webhooks).memberAfterInsert
        plan.alerts = alerts.insert(plan.alerts).memberAfterInsert
        return plan
    }
}
