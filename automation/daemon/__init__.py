"""The long-running `run` command: schedule scans, policies and automations from the config.

`plan` holds the pure decisions (which jobs exist, when they first run, how long a failing
object waits); `batch` groups concurrent requests into one registry pass; `runner` is the
glue between the scheduler, the pipeline steps and the policy sources.
"""
