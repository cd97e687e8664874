-- Run once by the postgres image on an empty volume: Prefect's server keeps its state in its own
-- database on the same server (promptloop's tables live in "promptloop").
CREATE DATABASE prefect OWNER promptloop;
