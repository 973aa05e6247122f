# vignette as its users run it: next to Garage, scheduled by Nomad, registered in Consul.
#
# Before the first run, put the Garage key the instances use into Nomad Variables:
#   nomad var put nomad/jobs/vignette garage_access_key_id=GK... garage_secret_access_key=...
# then: nomad job run deploy/nomad/vignette.nomad.hcl
# See deploy/README.md for buckets, prefixes and sizing.

variable "image" {
  type        = string
  description = "Container image of vignette (built from this repository)."
  default     = "registry.example.org/vignette:0.1.0"
}

variable "garage_endpoint" {
  type        = string
  description = "Garage S3 API as the tasks reach it."
  default     = "http://garage.service.consul:3900"
}

variable "public_url" {
  type        = string
  description = "Public base URL of the image service (ids in info.json)."
  default     = "https://img.example.org"
}

job "vignette" {
  datacenters = ["dc1"]
  type        = "service"

  # Rolling update, one instance at a time, back to the last good version on failure.
  update {
    max_parallel      = 1
    min_healthy_time  = "10s"
    healthy_deadline  = "2m"
    progress_deadline = "5m"
    auto_revert       = true
    stagger           = "15s"
  }

  group "vignette" {
    # Two instances on two nodes: one can be rescheduled or updated while the other
    # serves. They share one slot cache (one prefix): keep VIGNETTE_CACHE_INSTANCES below
    # equal to this count (see deploy/README.md).
    count = 2

    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    network {
      port "http" {
        to = 8080
      }
      port "admin" {
        to = 9090
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    service {
      name     = "vignette"
      port     = "http"
      provider = "consul"
      tags     = ["http"]

      # Readiness stays 200 while the instance sheds load (it answers 503 to misses in
      # microseconds and keeps serving hits); it fails only while the instance drains
      # at shutdown, so Consul takes it out of rotation exactly then.
      check {
        name     = "ready"
        type     = "http"
        port     = "admin"
        path     = "/health/ready"
        interval = "10s"
        timeout  = "2s"
      }
    }

    service {
      name     = "vignette-metrics"
      port     = "admin"
      provider = "consul"
      tags     = ["prometheus"]

      check {
        name     = "live"
        type     = "http"
        port     = "admin"
        path     = "/health/live"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "vignette" {
      driver = "docker"

      config {
        image = var.image
        ports = ["http", "admin"]
      }

      # SIGTERM starts the drain: readiness fails, in-flight requests get
      # VIGNETTE_SHUTDOWN_GRACE_SECS, the cache index is flushed. Give it that and more.
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      # Garage credentials from Nomad Variables, never in the job file.
      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/vignette" }}
AWS_ACCESS_KEY_ID={{ .garage_access_key_id }}
AWS_SECRET_ACCESS_KEY={{ .garage_secret_access_key }}
{{ end }}
EOT
        destination = "secrets/garage.env"
        env         = true
        change_mode = "restart"
      }

      env {
        VIGNETTE_LISTEN       = "0.0.0.0:8080"
        VIGNETTE_ADMIN_LISTEN = "0.0.0.0:9090"
        VIGNETTE_PUBLIC_URL   = var.public_url
        VIGNETTE_LOG_FORMAT   = "json"

        # Images: one bucket per site, listed here; an identifier's first segment names it.
        VIGNETTE_S3_ENDPOINT             = var.garage_endpoint
        VIGNETTE_S3_REGION               = "garage"
        VIGNETTE_SOURCE_BUCKETS          = "site-blog,site-shop"
        VIGNETTE_SOURCE_REVALIDATE_SECS  = "60"

        # The slot cache: one bucket, one prefix, shared by the instances. Each writes
        # its share of the slots, numbered by the allocation index (stable across
        # reschedules, unlike its id), and reads the others' every 2 s.
        VIGNETTE_CACHE_BUCKET            = "vignette-cache"
        VIGNETTE_CACHE_PREFIX            = "shared/"
        VIGNETTE_CACHE_INSTANCE          = "${NOMAD_ALLOC_INDEX}"
        VIGNETTE_CACHE_INSTANCES         = "2"
        VIGNETTE_CACHE_PEER_SYNC_MS      = "2000"
        VIGNETTE_CACHE_SLOTS             = "2000"
        VIGNETTE_CACHE_MAX_OBJECT_BYTES  = "5MB"
        VIGNETTE_CACHE_INDEX_FLUSH_SECS  = "30"

        # CPU: one render thread per core, at nice 10, so that HTTP, hits and refusals
        # still get a core at once (docs/overload.md, "Render threads and the HTTP side").
        VIGNETTE_WORKERS                 = "2"
        VIGNETTE_WORKER_NICE             = "10"
        VIGNETTE_QUEUE_CAPACITY          = "64"
        VIGNETTE_CODEL_TARGET_MS         = "500"
        VIGNETTE_CODEL_INTERVAL_MS       = "5000"
        VIGNETTE_RENDER_DEADLINE_MS      = "5000"
        VIGNETTE_HYDRATION_CAPACITY      = "10000"
        VIGNETTE_HYDRATION_HORIZON_SECS  = "7200"
        VIGNETTE_MAX_SOURCE_BYTES        = "64MiB"
        VIGNETTE_MAX_SOURCE_PIXELS       = "50000000"
        VIGNETTE_SHUTDOWN_GRACE_SECS     = "20"
      }

      # Sized from measurements on a 2-core machine (docs/performance.md and
      # docs/overload.md): peak RSS stays near 200 MB under a 50-client overload with two
      # render threads, because waiting requests hold no source bytes. memory_max leaves room for a
      # decode of a large progressive JPEG (about 100 MB of coefficients).
      resources {
        cpu        = 2000
        memory     = 256
        memory_max = 384
      }
    }
  }
}
