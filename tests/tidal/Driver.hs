{-# LANGUAGE OverloadedStrings #-}
-- A TidalCycles 1.7 session as a user types it, for krd's SuperDirt tests:
--   driver PORT SECONDS CPS WHAT [NODE]
-- WHAT "samples": d1 $ s "click*4"; "notes": d2 $ note "0 4 7" # s NODE # cutoff 1200.
-- d1 and d2 are BootTidal's (orbits 0 and 1); the latency is BootTidal's 0.1 s.
import Control.Concurrent (threadDelay)
import Sound.Tidal.Context
import System.Environment (getArgs)
import System.IO (hFlush, stdout)

main :: IO ()
main = do
  [portS, secondsS, cpsS, what, node] <- fmap (\a -> a ++ replicate (5 - length a) "") getArgs
  let target = superdirtTarget {oLatency = 0.1, oAddress = "127.0.0.1", oPort = read portS}
  tidal <- startTidal target (defaultConfig {cFrameTimespan = 1 / 20})
  let d1 = streamReplace tidal "1" . (|< orbit 0)
      d2 = streamReplace tidal "2" . (|< orbit 1)
  streamOnce tidal (cps (pure (read cpsS)))
  case what of
    "samples" -> d1 $ s "click*4"
    "notes" -> d2 $ note "0 4 7" # s (pure node :: Pattern String) # cutoff 1200
    _ -> return ()
  threadDelay (round (read secondsS * 1e6 :: Double))
  streamHush tidal
  threadDelay 300000
  putStrLn "driver done"
  hFlush stdout
