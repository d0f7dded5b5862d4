# Throughput against concurrency for `make bench` (bench/run.lua passes
# data= and out=). Columns: concurrency, sandbox with 50 ms latency, ideal
# at 50 ms, nginx without latency.
set terminal pngcairo size 1100,450 font "sans,10" noenhanced
set output out
set multiplot layout 1,2 title "kickoff: Domo starts per second against concurrency (kickoff.all)"
set logscale x 2
set xlabel "concurrency"
set ylabel "launches/s"
set key top left
set grid
set logscale y 10
set title "sandbox, 50 ms injected latency"
plot data using 1:3 with lines dashtype 2 lw 2 title "ideal (concurrency / 50 ms)", \
     data using 1:2 with linespoints pt 7 lw 2 title "kickoff"
unset logscale y
set yrange [0:*]
set key bottom right
set title "nginx on loopback, no latency"
plot data using 1:4 with linespoints pt 7 lw 2 title "kickoff"
unset multiplot
