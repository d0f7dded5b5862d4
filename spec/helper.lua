-- Loaded by busted before the specs (see .busted): makes the in-tree module
-- and its sandbox importable from every spec file.
package.path = "./lua/?.lua;./lua/?/init.lua;./spec/?.lua;" .. package.path
package.cpath = "./build/?.so;" .. package.cpath
