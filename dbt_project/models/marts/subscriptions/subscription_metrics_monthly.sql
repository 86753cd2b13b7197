{{ subscription_metrics('platform', false) }}
