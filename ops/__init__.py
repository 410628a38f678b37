"""Operations views: Grafana dashboards as code and the queries their panels run."""
